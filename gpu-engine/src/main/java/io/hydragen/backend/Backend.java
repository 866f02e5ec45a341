package io.hydragen.backend;

import io.hydragen.attention.AttentionMode;
import io.hydragen.model.ModelConfig;
import io.hydragen.sampling.RowSampling;

/**
 * A device that holds a model's weights and runs its forward pass. The generation loop is the same for
 * every backend: it plans segments, asks for KV segments and forwards batches of tokens.
 */
public interface Backend extends AutoCloseable {

    /** "cpu" or "cuda:N". */
    String name();

    ModelConfig config();

    /**
     * KV storage for up to {@code capacity} tokens on every layer.
     *
     * @throws AllocationException (CUDA: {@link io.hydragen.backend.cuda.OutOfDeviceMemoryException}) when it does not
     *                             fit; nothing stays allocated
     */
    KvSegment newSegment(int capacity);

    /**
     * Bytes one token of KV cache takes on this backend: layers × KV heads × head dim × 2 (keys and values) × bytes per
     * element (4 on the CPU, float32; 2 on CUDA, bf16). A segment of capacity c takes c times this.
     */
    long kvBytesPerToken();

    /**
     * Bytes that KV cache could still take now, as far as the backend can tell (the CPU: JavaCPP's
     * {@code maxBytes} limit less what it has allocated, and at most the physical memory available; CUDA: the
     * device's free memory). The engine's automatic KV budget is a share of it.
     */
    long availableMemoryBytes();

    /** Copies the keys and values of slots [srcFrom, srcFrom + n) of {@code src} to slots from {@code dstFrom} of {@code dst}, every layer. */
    void copyKv(KvSegment src, int srcFrom, KvSegment dst, int dstFrom, int n);

    /**
     * Runs the rows of {@code batch} through every layer, writing their keys and values into their segments, and
     * returns the logits of {@code batch.logitRows()} as [row][vocab]. With {@link AttentionMode#NONE} attention is
     * skipped (benchmarks only).
     */
    float[][] forward(ForwardBatch batch, AttentionMode mode);

    /**
     * {@link #forward}, and the next token of every logit row that has sampling settings ({@code sampling[i]} for
     * {@code batch.logitRows()[i]}: the draw, a constraint's mask, the log-probabilities wanted); a row with null
     * settings gets its logits back instead (the host needs them: prompt log-probabilities). This default samples on
     * the host ({@link NextTokens#onHost}); a backend that can sample where the logits are (CUDA) overrides it with the
     * same rule, so only token ids (and the log-probabilities asked for) cross to the host. The generation loop calls
     * this one method for every pass, prefill included (a sample's first token is a logit row with its settings at
     * step 0; a logit row may repeat a batch row, one per sample of the same prompt), whichever backend runs it.
     */
    default NextTokens forwardSample(ForwardBatch batch, AttentionMode mode, RowSampling[] sampling) {
        if (sampling.length != batch.logitRows().length) {
            throw new IllegalArgumentException(sampling.length + " sampling rows for " + batch.logitRows().length + " logit rows");
        }
        return NextTokens.onHost(forward(batch, mode), sampling);
    }

    @Override
    void close();
}
