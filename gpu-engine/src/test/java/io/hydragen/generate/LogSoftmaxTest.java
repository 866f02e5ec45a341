package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The one log-softmax + top-k helper of generated-token and prompt log-probabilities. */
class LogSoftmaxTest {
    @Test
    void logProbabilitiesOfASmallRow() {
        // expected: Python's math, log(exp(x) / (exp(1) + exp(2) + exp(3))) for x = 1, 2, 3
        float[] logits = {1f, 2f, 3f};
        assertEquals(-2.4076059644443806, LogSoftmax.of(logits, 0, 0).logprob(), 1e-9);
        assertEquals(-1.4076059644443806, LogSoftmax.of(logits, 1, 0).logprob(), 1e-9);
        TokenLogprob best = LogSoftmax.of(logits, 2, 2);
        assertEquals(-0.4076059644443806, best.logprob(), 1e-9);
        assertEquals(1, best.rank());
        assertEquals(List.of(2, 1), best.top().stream().map(TopLogprob::id).toList());
        assertEquals(-1.4076059644443806, best.top().get(1).logprob(), 1e-9);
        assertEquals(3, LogSoftmax.of(logits, 0, 0).rank());
        assertEquals(List.of(), LogSoftmax.of(logits, 0, 0).top());
    }

    @Test
    void largeLogitsNeitherOverflowNorUnderflow() {
        float[] logits = {1000f, 1000f, -1000f};
        assertEquals(-Math.log(2), LogSoftmax.of(logits, 0, 0).logprob(), 1e-12);
        assertEquals(-2000 - Math.log(2), LogSoftmax.of(logits, 2, 0).logprob(), 1e-9);
        assertEquals(Float.NEGATIVE_INFINITY, LogSoftmax.of(new float[] {0f, Float.NEGATIVE_INFINITY}, 1, 0).logprob());
    }

    @Test
    void tiesRankTogetherAndListTheLowerIdFirst() {
        float[] logits = {0.5f, 2f, 2f, -1f, 2f};
        TokenLogprob e = LogSoftmax.of(logits, 4, 3);
        assertEquals(1, e.rank(), "no logit is larger");
        assertEquals(List.of(1, 2, 4), e.top().stream().map(TopLogprob::id).toList());
        assertEquals(4, LogSoftmax.of(logits, 0, 0).rank());
    }

    @Test
    void topIdsAgreeWithAFullSortAndExpSumsToOne() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 20; trial++) {
            float[] logits = new float[1000];
            for (int i = 0; i < logits.length; i++) logits[i] = (float) (rnd.nextGaussian() * 3) + (i % 50 == 0 ? 1f : 0f);
            for (int k : new int[] {1, 5, 20}) {
                Integer[] order = new Integer[logits.length];
                for (int i = 0; i < order.length; i++) order[i] = i;
                Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
                int[] want = new int[k];
                for (int i = 0; i < k; i++) want[i] = order[i];
                assertArrayEquals(want, LogSoftmax.topIds(logits, k), "k=" + k);
            }
            double sum = 0;
            for (int i = 0; i < logits.length; i++) sum += Math.exp(LogSoftmax.of(logits, i, 0).logprob());
            assertEquals(1.0, sum, 1e-9);
        }
    }

    @Test
    void requestSettingsAreValidated() {
        SamplingParams p = SamplingParams.GREEDY;
        assertEquals(20, p.withLogprobs(20).logprobs());
        assertEquals(0, p.withPromptLogprobs(0).promptLogprobs());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.withLogprobs(21));
        assertEquals("logprobs must be between 0 and 20 (or unset), got 21", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> p.withPromptLogprobs(-1));
        assertEquals("prompt_logprobs must be between 0 and 20 (or unset), got -1", e.getMessage());
    }
}
