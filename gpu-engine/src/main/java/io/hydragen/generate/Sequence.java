package io.hydragen.generate;

import io.hydragen.backend.KvSegment;
import io.hydragen.sampling.RawLogprobs;
import io.hydragen.sampling.RowSampling;
import io.hydragen.sampling.SamplingSeeds;

import java.util.Arrays;

/** One sample being generated: its prompt, settings, KV leaf and the tokens so far. */
final class Sequence {
    final int request;
    final int sampleIndex;
    final int[] prompt;
    final SamplingParams params;
    /** Generation slots its KV reserves: min(max_new_tokens, context - prompt length), set before a batch runs. */
    int reservedNewTokens;
    KvSegment leaf;
    int leafStart;          // absolute position of the leaf's first slot
    int leafPromptTokens;   // prompt tokens held in the leaf (its unique suffix)
    int sharedTokens;
    boolean privateKv;      // per-sequence baseline: the leaf holds a private copy of the whole prompt's KV
    int[] generated = new int[8];
    int count;
    FinishReason finish;
    String text;
    StopCheck.TextState stopText; // incremental decoding for stop strings, made on first use
    float[] promptLogits;   // next-token logits after the prompt, kept on request
    /** The constraint's automaton state when {@link SamplingParams#constraint()} is set, else null. */
    ConstraintState constraint;
    /** Why the sample has no completion: its KV does not fit (finish null), or the model's logits were not finite (finish ERROR). */
    String error;
    /** Generated tokens' log-probabilities when {@link SamplingParams#logprobs()} is set, else null. */
    java.util.List<TokenLogprob> logprobs;
    double cumulativeLogprob;
    /** Prompt log-probabilities, assembled when the prompt's last token is prefilled (when asked for). */
    java.util.List<TokenLogprob> promptLogprobs;
    /**
     * First prompt position whose log-probability is wanted: 1 for {@link SamplingParams#promptLogprobs()} (all but
     * the first token); scoring asks only for its candidate's positions, so a shared prompt above them needs no logits.
     */
    int promptLogprobsFrom = 1;

    Sequence(int request, int sampleIndex, int[] prompt, SamplingParams params) {
        this.request = request;
        this.sampleIndex = sampleIndex;
        this.prompt = prompt;
        this.params = params;
    }

    /** Forgets a failed run's progress, so the sample can run again in another (smaller) batch from its prompt. */
    void reset() {
        leaf = null;
        leafStart = leafPromptTokens = sharedTokens = 0;
        privateKv = false;
        generated = new int[8];
        count = 0;
        finish = null;
        text = null;
        promptLogits = null;
        stopText = null;
        logprobs = null;
        cumulativeLogprob = 0;
        promptLogprobs = null;
        if (constraint != null) constraint.reset();
    }

    /**
     * How this step's token is picked: the settings, the stream of (seed, sample index) counted by the tokens so far,
     * the constraint's mask at its current state, and the log-probabilities wanted. What the backend is given for a
     * decode row, so the token is picked where the logits are; the host then only advances the constraint and records
     * what came back.
     */
    RowSampling rowSampling() {
        return new RowSampling((float) params.temperature(), params.topK(), (float) params.topP(),
                SamplingSeeds.rowSeed(params.seed(), sampleIndex), count,
                constraint == null ? null : constraint.tokenMask(params.ignoreEos()),
                params.logprobs() == null ? RowSampling.NO_LOGPROBS : params.logprobs());
    }

    void append(int token) {
        if (count == generated.length) generated = Arrays.copyOf(generated, count * 2);
        generated[count++] = token;
    }

    /** Records the log-probabilities of the token just appended, as its sampler computed them from the raw logits. */
    void recordLogprob(RawLogprobs lp) {
        if (params.logprobs() == null) return;
        if (lp == null) throw new IllegalStateException("no log-probabilities came back for step " + (count - 1));
        TokenLogprob e = TokenLogprob.of(last(), lp);
        if (logprobs == null) logprobs = new java.util.ArrayList<>();
        logprobs.add(e);
        cumulativeLogprob += e.logprob();
    }

    /** Whether the prefill must compute this sequence's prompt log-probabilities. */
    boolean wantsPromptLogprobs() { return params.promptLogprobs() != null; }

    int[] tokens() { return Arrays.copyOf(generated, count); }

    int last() { return generated[count - 1]; }

    boolean done() { return finish != null; }

    /** Absolute position of the next token fed to the model (the last generated one). */
    int nextPosition() { return prompt.length + count - 1; }
}
