package io.hydragen.backend;

import io.hydragen.attention.AttentionMode;
import io.hydragen.model.ModelConfig;

/**
 * A device that holds a model's weights and runs its forward pass. The generation loop is the same for
 * every backend: it plans segments, asks for KV segments and forwards batches of tokens.
 */
public interface Backend extends AutoCloseable {

    /** "cpu" or "cuda:N". */
    String name();

    ModelConfig config();

    /** KV storage for up to {@code capacity} tokens on every layer. */
    KvSegment newSegment(int capacity);

    /** Copies the keys and values of slots [srcFrom, srcFrom + n) of {@code src} to slots from {@code dstFrom} of {@code dst}, every layer. */
    void copyKv(KvSegment src, int srcFrom, KvSegment dst, int dstFrom, int n);

    /**
     * Runs the rows of {@code batch} through every layer, writing their keys and values into their segments, and
     * returns the logits of {@code batch.logitRows()} as [row][vocab]. With {@link AttentionMode#NONE} attention is
     * skipped (benchmarks only).
     */
    float[][] forward(ForwardBatch batch, AttentionMode mode);

    @Override
    void close();
}
