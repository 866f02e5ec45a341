package io.hydragen.generate;

import io.hydragen.constrain.Constraint;
import java.util.List;

/**
 * How to generate for one prompt; the names and defaults follow vLLM's {@code SamplingParams}.
 *
 * @param temperature 0 means greedy (argmax)
 * @param topK 0 or -1 means no top-k cut (vLLM's -1); other negative values are refused
 * @param topP 1 means no nucleus cut
 * @param seed the sample's random stream; sample i of a request uses a stream derived from (seed, i),
 *             so a completion never depends on the other rows of its batch
 * @param n samples per prompt
 * @param constraint what the completion must be (a regex, choices, a JSON schema: {@link Constraint}), or null for
 *                   free text. Decoding is constrained token by token ({@link io.hydragen.constrain}): the sample
 *                   ends with {@code stop} when the text is complete, or {@code length} with a valid prefix. A
 *                   constraint that does not compile is the request's error.
 * @param logprobs null: off; k in 0..20: every generated token's log-probability under the model's full distribution
 *                 (log-softmax of the raw logits: before temperature, top-k, top-p and the constraint's mask) and the k
 *                 most likely tokens at its step ({@link Completion#logprobs()}), as vLLM's {@code logprobs}
 * @param promptLogprobs null: off; k in 0..20: the same for every prompt token after the first
 *                       ({@link Completion#promptLogprobs()}), computed in prefill, once per shared segment; with
 *                       {@code maxNewTokens} 0 the prompt is only prefilled (scoring)
 */
public record SamplingParams(int maxNewTokens, double temperature, int topK, double topP, long seed,
                             List<String> stop, List<Integer> stopTokenIds, boolean ignoreEos, int n, Constraint constraint,
                             Integer logprobs, Integer promptLogprobs) {

    public static final SamplingParams GREEDY = new SamplingParams(16, 0.0, 0, 1.0, 0L, List.of(), List.of(), false, 1);

    /** Without a constraint. */
    public SamplingParams(int maxNewTokens, double temperature, int topK, double topP, long seed,
                          List<String> stop, List<Integer> stopTokenIds, boolean ignoreEos, int n) {
        this(maxNewTokens, temperature, topK, topP, seed, stop, stopTokenIds, ignoreEos, n, null);
    }

    /** Without log-probabilities. */
    public SamplingParams(int maxNewTokens, double temperature, int topK, double topP, long seed,
                          List<String> stop, List<Integer> stopTokenIds, boolean ignoreEos, int n, Constraint constraint) {
        this(maxNewTokens, temperature, topK, topP, seed, stop, stopTokenIds, ignoreEos, n, constraint, null, null);
    }

    public SamplingParams {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + maxNewTokens);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (topK < -1) throw new IllegalArgumentException("top_k must be >= 0 (0 or -1 = no top-k cut), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (n < 1) throw new IllegalArgumentException("n must be >= 1, got " + n);
        checkTop("logprobs", logprobs);
        checkTop("prompt_logprobs", promptLogprobs);
        stop = List.copyOf(stop == null ? List.of() : stop);
        stopTokenIds = List.copyOf(stopTokenIds == null ? List.of() : stopTokenIds);
    }

    private static void checkTop(String name, Integer k) {
        if (k != null && (k < 0 || k > LogSoftmax.MAX_TOP)) {
            throw new IllegalArgumentException(name + " must be between 0 and " + LogSoftmax.MAX_TOP + " (or unset), got " + k);
        }
    }

    public boolean greedy() { return temperature == 0.0; }

    public SamplingParams withMaxNewTokens(int m) { return new SamplingParams(m, temperature, topK, topP, seed, stop, stopTokenIds, ignoreEos, n, constraint, logprobs, promptLogprobs); }

    public SamplingParams withSeed(long s) { return new SamplingParams(maxNewTokens, temperature, topK, topP, s, stop, stopTokenIds, ignoreEos, n, constraint, logprobs, promptLogprobs); }

    /** These settings with a constraint (null: none). */
    public SamplingParams withConstraint(Constraint c) { return new SamplingParams(maxNewTokens, temperature, topK, topP, seed, stop, stopTokenIds, ignoreEos, n, c, logprobs, promptLogprobs); }

    /** These settings with generated-token log-probabilities and k alternatives (null: off). */
    public SamplingParams withLogprobs(Integer k) { return new SamplingParams(maxNewTokens, temperature, topK, topP, seed, stop, stopTokenIds, ignoreEos, n, constraint, k, promptLogprobs); }

    /** These settings with prompt log-probabilities and k alternatives (null: off). */
    public SamplingParams withPromptLogprobs(Integer k) { return new SamplingParams(maxNewTokens, temperature, topK, topP, seed, stop, stopTokenIds, ignoreEos, n, constraint, logprobs, k); }
}
