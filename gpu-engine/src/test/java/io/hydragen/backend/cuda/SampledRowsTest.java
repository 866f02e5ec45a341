package io.hydragen.backend.cuda;

import io.hydragen.backend.NextTokens;
import io.hydragen.sampling.RawLogprobs;
import io.hydragen.sampling.RowSampling;
import io.hydragen.sampling.TokenMask;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A mixed forwardSample pass without a device: rows with null settings (prompt log-probabilities) take their own
 * logits to the host, the others are sampled on the device with their masks and log-probabilities, and the
 * {@link NextTokens} of the pass puts each answer in its row.
 */
class SampledRowsTest {
    private static final int VOCAB = 70, WORDS = 3;
    private final Object constraint = new Object();

    private TokenMask mask(int state, int... allowed) {
        int[] w = new int[WORDS];
        for (int id : allowed) w[id >>> 5] |= 1 << (id & 31);
        return new TokenMask(new TokenMask.Key(constraint, state, false), w);
    }

    @Test
    void aMixedPassSamplesTheOthersOnTheDeviceAndHandsBackOnlyTheHostRowsLogits() {
        TokenMask a = mask(4, 1, 40), b = mask(5, 69);
        RowSampling[] rows = {
                null,                                                            // a prefill row: logits to the host
                new RowSampling(0.8f, 5, 0.9f, 11L, 3, a, 2),                    // masked, sampled, 2 alternatives
                new RowSampling(0f, 0, 1f, 0L, 7, b, RowSampling.NO_LOGPROBS),    // masked, greedy
                null,
                new RowSampling(0f, 0, 1f, 0L, 1, a, 0),                         // the same state as row 1: one bitmap
        };
        MaskSlots slots = new MaskSlots(8);
        SampledRows pass = new SampledRows(rows, VOCAB, slots, WORDS);
        assertArrayEquals(new int[] {0, 3}, pass.hostRows);
        assertEquals(List.of("0+1", "3+1"), pass.hostRuns.stream().map(r -> r[0] + "+" + r[1]).toList());
        assertEquals(3, pass.deviceRows);
        assertFalse(pass.greedy, "row 1 draws");
        assertTrue(pass.logprobs);
        assertEquals(2, pass.uploads.size(), "states 4 and 5, once each");
        assertEquals(-1, pass.maskOffset[0]);
        assertEquals(pass.maskOffset[1], pass.maskOffset[4]);
        assertEquals(WORDS * pass.uploads.get(1).slot(), pass.maskOffset[2]);
        assertArrayEquals(new int[] {-1, 2, -1, -1, 0}, pass.logprobTop);
        assertArrayEquals(new float[] {0f, 0.8f, 0f, 0f, 0f}, pass.temperature);
        assertArrayEquals(new int[] {0, 3, 7, 0, 1}, pass.steps);

        float[] out = new float[rows.length * SamplingKernel.LOGPROB_STRIDE];
        int at = SamplingKernel.LOGPROB_STRIDE;   // row 1
        out[at] = -0.25f;
        out[at + 1] = Float.intBitsToFloat(2);
        out[at + 2] = Float.intBitsToFloat(40);
        out[at + 3] = Float.intBitsToFloat(1);
        out[at + 2 + SamplingKernel.LOGPROB_TOP_MAX] = -0.2f;
        out[at + 3 + SamplingKernel.LOGPROB_TOP_MAX] = -0.25f;
        out[4 * SamplingKernel.LOGPROB_STRIDE] = -3f;
        out[4 * SamplingKernel.LOGPROB_STRIDE + 1] = Float.intBitsToFloat(9);
        float[] l0 = new float[VOCAB], l3 = new float[VOCAB];
        float[][] host = {l0, null, null, l3, null};
        int[] ids = {12345, 1, 69, 12345, 40};   // what the kernel wrote; host rows' entries are not read
        NextTokens next = pass.assemble(ids, out, host);
        assertArrayEquals(new int[] {NextTokens.ON_HOST, 1, 69, NextTokens.ON_HOST, 40}, next.ids());
        assertSame(l0, next.logits()[0]);
        assertSame(l3, next.logits()[3]);
        assertNull(next.logits()[1]);
        assertEquals(new RawLogprobs(-0.25f, 2, new int[] {40, 1}, new double[] {-0.2f, -0.25f}), next.logprobs()[1]);
        assertNull(next.logprobs()[2], "not asked for");
        assertEquals(new RawLogprobs(-3f, 9, new int[0], new double[0]), next.logprobs()[4]);
        assertEquals(2, slots.uploads());

        SampledRows again = new SampledRows(rows, VOCAB, slots, WORDS);
        assertTrue(again.uploads.isEmpty(), "the next step in the same states uploads nothing");
        assertArrayEquals(pass.maskOffset, again.maskOffset);
    }

    @Test
    void aCodeGetsNoLogprobsAndAllGreedyRowsTakeTheArgmaxEntry() {
        RowSampling[] rows = {new RowSampling(0f, 0, 1f, 0L, 0, mask(1), 3), new RowSampling(0.5f, 1, 1f, 9L, 0)};
        SampledRows pass = new SampledRows(rows, VOCAB, new MaskSlots(2), WORDS);
        assertTrue(pass.greedy, "top-k 1 is greedy too");
        assertEquals(0, pass.hostRows.length);
        NextTokens next = pass.assemble(new int[] {NextTokens.NOTHING_ALLOWED, NextTokens.NAN},
                new float[2 * SamplingKernel.LOGPROB_STRIDE], new float[2][]);
        assertArrayEquals(new int[] {NextTokens.NOTHING_ALLOWED, NextTokens.NAN}, next.ids());
        assertNull(next.logprobs()[0]);
        assertNull(next.logprobs()[1]);
    }

    @Test
    void onlyHostRowsMeansNoLaunch() {
        SampledRows pass = new SampledRows(new RowSampling[] {null, null}, VOCAB, new MaskSlots(2), WORDS);
        assertEquals(0, pass.deviceRows);
        assertEquals(List.of("0+2"), pass.hostRuns.stream().map(r -> r[0] + "+" + r[1]).toList(), "one download for both");
        assertEquals(new ArrayList<>(), pass.uploads);
        NextTokens next = pass.assemble(null, null, new float[][] {new float[VOCAB], new float[VOCAB]});
        assertArrayEquals(new int[] {NextTokens.ON_HOST, NextTokens.ON_HOST}, next.ids());
    }
}
