package io.hydragen.spark.plugin;

import io.hydragen.generate.Engine;
import io.hydragen.spark.model.ModelFetcher;

/**
 * An engine and the local model directory it was loaded from: closing it closes the engine and releases the
 * directory in the executor's model cache, which may then evict it.
 */
record LoadedEngine(Engine engine, String localDir) implements AutoCloseable {
    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            ModelFetcher.release(localDir);
        }
    }
}
