package io.hydragen.model;

import io.hydragen.tokenizer.Tokenizer;

/**
 * A loaded model: its architecture, where its weights live, and its tokenizer.
 *
 * @param source the directory or {@code synthetic:NAME} it came from
 */
public record Model(String source, ModelConfig config, WeightSource weights, Tokenizer tokenizer) implements AutoCloseable {
    @Override
    public void close() {
        weights.close();
        tokenizer.close();
    }
}
