package io.hydragen.backend;

import java.util.List;

/**
 * Tokens to run through the model in one pass: prefill chunks of several segments, or one new token per
 * sequence when decoding.
 *
 * @param tokens token id per row
 * @param positions absolute position per row (for RoPE)
 * @param writeSegments the segment each row's key/value is written to
 * @param writeSlots the slot in that segment
 * @param blocks what each row attends to
 * @param logitRows rows whose next-token logits are wanted, in the order they are returned; a row may repeat (each
 *                  sample of one prompt picks its first token from its own copy of the prompt's last row)
 */
public record ForwardBatch(int[] tokens, int[] positions, KvSegment[] writeSegments, int[] writeSlots,
                           List<AttentionBlock> blocks, int[] logitRows) {
    public ForwardBatch {
        int n = tokens.length;
        if (positions.length != n || writeSegments.length != n || writeSlots.length != n) {
            throw new IllegalArgumentException("per-row arrays differ in length");
        }
        blocks = List.copyOf(blocks);
    }

    public int rows() { return tokens.length; }
}
