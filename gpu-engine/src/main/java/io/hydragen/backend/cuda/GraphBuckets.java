package io.hydragen.backend.cuda;

/**
 * The row counts a forward pass is padded to, so that a batch whose size changes from step to step (continuous
 * batching: rows finish and are admitted) replays a few captured CUDA graphs instead of capturing a new one per
 * size. As vLLM's capture sizes: 1, 2, 4, 8, then multiples of 8 up to {@link #maxCaptured}; a larger pass is not
 * padded (it runs eagerly, where a kernel launch is a small share of its time).
 *
 * <p>Pad rows are masked: they read token 0 at position 0, write their key and value to a scratch slot and belong to
 * no attention block, so no real row sees them (every other kernel is row-wise). Logit rows are padded the same way,
 * the pad ones repeating the first logit row's index; only the real ones are returned.
 */
final class GraphBuckets {
    static final int DEFAULT_MAX_CAPTURED = 512;
    private static final int STEP = 8;

    private final int maxCaptured;

    GraphBuckets(int maxCaptured) {
        if (maxCaptured < 1) throw new IllegalArgumentException("max captured rows must be >= 1, got " + maxCaptured);
        this.maxCaptured = maxCaptured;
    }

    int maxCaptured() { return maxCaptured; }

    /** The padded row count of a pass of {@code rows} rows: the smallest bucket holding it, or {@code rows} above the last. */
    int padded(int rows) {
        if (rows < 1) throw new IllegalArgumentException("rows must be >= 1, got " + rows);
        if (rows > maxCaptured) return rows;
        int b = rows <= STEP ? Integer.highestOneBit(rows - 1) << 1 : (rows + STEP - 1) / STEP * STEP;
        return Math.max(1, Math.min(b, maxCaptured));
    }
}
