package io.hydragen.generate;

import io.hydragen.model.Model;
import io.hydragen.tokenizer.Tokenizer;

import java.util.List;

/**
 * The engine: a loaded model on a backend. {@link #generate} plans the shared prefixes of a batch
 * of requests, prefills each shared segment once, and decodes all samples together with Hydragen attention.
 * Thread-safe: concurrent callers are served one batch at a time.
 */
public final class Engine implements AutoCloseable {

    // TODO(engine-core): being built; the public API below is stable.

    public static Engine open(EngineOptions options) {
        throw new UnsupportedOperationException("engine under construction");
    }

    public GenerationResult generate(List<GenerationRequest> requests) {
        return generate(requests, ProgressListener.NONE);
    }

    public GenerationResult generate(List<GenerationRequest> requests, ProgressListener progress) {
        throw new UnsupportedOperationException("engine under construction");
    }

    public Model model() { throw new UnsupportedOperationException(); }

    public Tokenizer tokenizer() { return model().tokenizer(); }

    /** "cpu" or "cuda:N". */
    public String backendName() { throw new UnsupportedOperationException(); }

    @Override
    public void close() {}
}
