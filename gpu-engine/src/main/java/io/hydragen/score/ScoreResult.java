package io.hydragen.score;

import java.util.List;

/**
 * The scores of one request's candidates, in their order, and the best one; or the request's error (a prompt too
 * long, a template that refuses the conversation, an empty candidate), with no scores.
 *
 * @param best the candidate with the largest {@link CandidateScore#logprob()} (the first of equals), null on error
 */
public record ScoreResult(String id, List<CandidateScore> scores, String best, String error) {
    public ScoreResult {
        scores = List.copyOf(scores);
    }

    static ScoreResult error(String id, String message) { return new ScoreResult(id, List.of(), null, message); }

    /** The candidate with the largest length-normalised log-likelihood (lm-evaluation-harness's acc_norm uses bytes). */
    public String bestNormalized() {
        CandidateScore best = null;
        for (CandidateScore s : scores) if (best == null || s.normalizedLogprob() > best.normalizedLogprob()) best = s;
        return best == null ? null : best.candidate();
    }
}
