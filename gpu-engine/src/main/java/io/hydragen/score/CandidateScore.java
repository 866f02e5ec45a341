package io.hydragen.score;

/**
 * One candidate's log-likelihood given its prompt.
 *
 * @param candidate the candidate text
 * @param logprob the sum of its tokens' log-probabilities (log-softmax of the raw logits)
 * @param tokens how many tokens it has
 * @param greedy whether every one of its tokens was the most likely one at its position (lm-evaluation-harness's
 *               {@code is_greedy})
 * @param separatelyEncoded the prompt's encoding was not a prefix of the encoding of prompt + candidate, so the two
 *                          were encoded separately and concatenated (lm-evaluation-harness would silently split the
 *                          whole at the prompt's length)
 */
public record CandidateScore(String candidate, double logprob, int tokens, boolean greedy, boolean separatelyEncoded) {
    /** Length-normalised log-likelihood: {@code logprob / tokens}. */
    public double normalizedLogprob() { return logprob / tokens; }
}
