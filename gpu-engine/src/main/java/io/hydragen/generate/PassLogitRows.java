package io.hydragen.generate;

import io.hydragen.backend.NextTokens;
import io.hydragen.sampling.RowSampling;

import java.util.ArrayList;
import java.util.List;

/**
 * The logit rows one forward pass asks for and what each serves, the same for both schedulers. Rows with sampling
 * settings are picked by the backend ({@link io.hydragen.backend.Backend#forwardSample}: only ids, and the
 * log-probabilities asked for, come back): decode rows, and the first token of each sample whose prompt ends in the
 * pass, with its settings at step 0. The samples of one prompt (n > 1) each get their own logit row, the same batch
 * row repeated in {@link io.hydragen.backend.ForwardBatch#logitRows()} (both backends gather logit rows by index), so
 * each draws from the same logits with its own seed stream. Rows with null settings bring their logits to the host:
 * those whose logits predict a prompt log-probability ({@link PromptLogitSlots#needs}), and a prompt's end when its
 * logits are kept ({@link Engine#promptLogits}); a sample whose prompt ends at such a row is picked on the host from
 * them, by the same rule ({@link NextTokens#pick}), rather than asking for the row twice.
 */
final class PassLogitRows {
    private final boolean keepLogits;
    private final IntList rows = new IntList();
    private final List<RowSampling> sampling = new ArrayList<>();
    private final List<Fill> fills = new ArrayList<>();
    private final List<Start> starts = new ArrayList<>();
    /** The last prefill row added, and the index of its logits on the host (-1: they stay on the device). */
    private int lastRow = -1, lastHostIndex = -1;

    /** Logits at {@code slot}, logit row {@code index}, predict entries of {@code slots}' segment or its children. */
    private record Fill(PromptLogitSlots slots, int slot, int index) {}

    /**
     * A sample whose prompt ends in this pass. {@code index}: its logit row, -1 when it needs none (max_new_tokens 0:
     * prefill only); {@code onHost}: that row's logits came to the host. {@code path}: its segments' prompt
     * log-probabilities, root first, null when it asks for none.
     */
    private record Start(Sequence seq, List<SegmentLogprobs> path, int index, boolean onHost) {}

    /** @param keepLogits keep each prompt's last logits on its sequence ({@link Sequence#promptLogits}) */
    PassLogitRows(boolean keepLogits) { this.keepLogits = keepLogits; }

    /** A decode row, picked by the backend; returns its index among the logit rows. */
    int decode(int row, RowSampling s) { return add(row, s); }

    /**
     * Prefill row {@code row} at {@code slot} of a segment whose host needs are {@code slots}; {@code endsPrompts}
     * when samples' prompts end there (then {@link #start} each of them next).
     */
    void prefill(int row, PromptLogitSlots slots, int slot, boolean endsPrompts) {
        lastRow = row;
        lastHostIndex = -1;
        boolean needed = slots.needs(slot);
        if (!needed && !(endsPrompts && keepLogits)) return;
        lastHostIndex = add(row, null);
        if (needed) fills.add(new Fill(slots, slot, lastHostIndex));
    }

    /** A sample whose prompt ends at the prefill row just added; {@code path} as in {@link Start}. */
    void start(Sequence s, List<SegmentLogprobs> path) {
        if (lastRow < 0) throw new IllegalStateException("no prefill row to start from");
        if (lastHostIndex >= 0) starts.add(new Start(s, path, lastHostIndex, true));
        else if (s.params.maxNewTokens() == 0) starts.add(new Start(s, path, -1, false));
        else starts.add(new Start(s, path, add(lastRow, s.rowSampling()), false));
    }

    private int add(int row, RowSampling s) {
        rows.add(row);
        sampling.add(s);
        return sampling.size() - 1;
    }

    int[] logitRows() { return rows.toArray(); }

    /** Per logit row: its settings, or null where its logits come to the host. */
    RowSampling[] sampling() { return sampling.toArray(new RowSampling[0]); }

    /**
     * After the pass: fills the prompt log-probabilities its host rows predict, then gives each starting sample its
     * prompt log-probabilities and its first token (or ends it, prefill only). Decode rows are the caller's.
     */
    void startSamples(NextTokens next, StopCheck stop) {
        for (Fill f : fills) f.slots.fill(f.slot, next.logits()[f.index]);
        for (Start st : starts) {
            Sequence s = st.seq;
            if (st.path != null) {
                s.promptLogprobs = SegmentLogprobs.assemble(st.path, s.prompt.length, s.params.promptLogprobs(), s.promptLogprobsFrom);
            }
            if (st.index < 0) {
                stop.prefillOnly(s);
            } else if (st.onHost) {
                float[] logits = next.logits()[st.index];
                if (keepLogits) s.promptLogits = logits;
                stop.accept(s, logits);
            } else {
                stop.accept(s, next, st.index);
            }
        }
    }
}
