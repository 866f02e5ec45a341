package io.hydragen.generate;

import io.hydragen.backend.NextTokens;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.Model;
import io.hydragen.sampling.RowSampling;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The logit rows of one pass and what each serves, without a backend: the test plays the backend by building the
 * {@link NextTokens} a pass would return (ids for picked rows, logits for host rows).
 */
class PassLogitRowsTest {
    static Model model;
    static StopCheck stop;
    static final int V = 32;

    @BeforeAll
    static void load() {
        model = ModelLoader.load("synthetic:tiny");
        stop = new StopCheck(model.tokenizer(), model.config().maxPositionEmbeddings());
    }

    @AfterAll
    static void close() { model.close(); }

    static Sequence seq(int sampleIndex, int maxNew) {
        return new Sequence(0, sampleIndex, new int[] {3, 4, 5, 6, 7},
                new SamplingParams(maxNew, 0.9, 0, 1.0, 42, List.of(), List.of(), true, 2));
    }

    static float[] logits(int top) {
        float[] l = new float[V];
        l[top] = 10f;
        return l;
    }

    @Test
    void samplesOfOnePromptEachGetTheirOwnRowAtStepZero() {
        PassLogitRows rows = new PassLogitRows(false);
        Sequence decoding = seq(0, 4), a = seq(0, 4), b = seq(1, 4), prefillOnly = seq(1, 0);
        decoding.append(9);
        assertEquals(0, rows.decode(0, decoding.rowSampling()));
        rows.prefill(1, PromptLogitSlots.none(3), 1, false);          // an inner slot nobody needs: no row
        rows.prefill(2, PromptLogitSlots.none(3), 2, true);           // a prompt's last slot
        rows.start(a, null);
        rows.start(b, null);
        rows.start(prefillOnly, null);
        assertArrayEquals(new int[] {0, 2, 2}, rows.logitRows(), "the prompt's last row once per sample");
        RowSampling[] s = rows.sampling();
        assertEquals(1, s[0].step());
        assertEquals(0, s[1].step());
        assertEquals(0, s[2].step());
        assertNotEquals(s[1].seed(), s[2].seed(), "each sample draws from its own stream");

        rows.startSamples(new NextTokens(new int[] {11, 12, 13}, new float[3][]), stop);
        assertArrayEquals(new int[] {12}, a.tokens());
        assertArrayEquals(new int[] {13}, b.tokens());
        assertEquals(FinishReason.LENGTH, prefillOnly.finish, "max_new_tokens 0: prefill only, no row");
        assertArrayEquals(new int[] {9}, decoding.tokens(), "decode rows are the caller's");
    }

    @Test
    void aRowWhoseLogitsComeToTheHostFillsAndStartsOnTheHost() {
        // a prompt that is the start of another: its last slot predicts the child's first prompt token
        SegmentLogprobs own = new SegmentLogprobs(0, new int[] {3, 4, 5, 6, 7}), child = new SegmentLogprobs(5, new int[] {8});
        own.want(1, 1);
        child.want(1, 1);
        PromptLogitSlots slots = new PromptLogitSlots(5, own, List.of(child));
        PassLogitRows rows = new PassLogitRows(false);
        Sequence s = seq(0, 3);
        rows.prefill(4, slots, 3, false);
        rows.prefill(5, slots, 4, true);
        rows.start(s, null);
        assertArrayEquals(new int[] {4, 5}, rows.logitRows(), "no second row for the sample: the logits are on the host");
        assertNull(rows.sampling()[0]);
        assertNull(rows.sampling()[1]);
        float[] last = logits(17);
        rows.startSamples(new NextTokens(new int[] {NextTokens.ON_HOST, NextTokens.ON_HOST}, new float[][] {logits(2), last}), stop);
        assertArrayEquals(new int[] {NextTokens.pick(last, seq(0, 3).rowSampling())}, s.tokens(), "the host's pick, by the backend's rule");
        assertNull(s.promptLogits, "kept only on request");
        List<TokenLogprob> childEntry = SegmentLogprobs.assemble(List.of(child), 6, 1, 5);
        assertEquals(LogSoftmax.of(last, 8, 1), childEntry.get(5));
    }

    @Test
    void keptLogitsBringAPromptsLastRowToTheHost() {
        PassLogitRows rows = new PassLogitRows(true);
        Sequence s = seq(0, 1);
        rows.prefill(7, PromptLogitSlots.none(8), 7, true);
        rows.start(s, null);
        assertArrayEquals(new int[] {7}, rows.logitRows());
        assertNull(rows.sampling()[0]);
        float[] l = logits(5);
        rows.startSamples(new NextTokens(new int[] {NextTokens.ON_HOST}, new float[][] {l}), stop);
        assertSame(l, s.promptLogits);
        assertNotNull(s.finish, "max_new_tokens 1: done after its first token");
    }

    @Test
    void aStartNeedsAPrefillRow() {
        assertThrows(IllegalStateException.class, () -> new PassLogitRows(false).start(seq(0, 1), null));
    }
}
