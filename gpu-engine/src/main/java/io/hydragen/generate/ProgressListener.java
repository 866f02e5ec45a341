package io.hydragen.generate;

/** Told how far a batch has come, for progress bars and metrics. */
public interface ProgressListener {
    ProgressListener NONE = (phase, done, total) -> {};

    /** @param phase "prefill" or "decode" */
    void onProgress(String phase, long done, long total);
}
