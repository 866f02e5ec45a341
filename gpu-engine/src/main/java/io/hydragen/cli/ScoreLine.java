package io.hydragen.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.score.CandidateScore;
import io.hydragen.score.ScoreResult;

import java.util.ArrayList;
import java.util.List;

/**
 * One line of {@code score}'s output: {@code {"id", "scores": [{"candidate", "logprob", "tokens", "greedy"}], "best",
 * "error"}}; with {@code --normalize} each score also has {@code normalized_logprob} (logprob / tokens) and {@code best}
 * is chosen by it. A score whose prompt and candidate had to be encoded separately says so ({@code separately_encoded}).
 */
@JsonPropertyOrder({"id", "scores", "best", "error"})
record ScoreLine(@JsonProperty("id") JsonNode id, @JsonProperty("scores") List<Score> scores,
                 @JsonProperty("best") String best, @JsonProperty("error") String error) {

    @JsonPropertyOrder({"candidate", "logprob", "tokens", "greedy", "normalized_logprob", "separately_encoded"})
    record Score(@JsonProperty("candidate") String candidate, @JsonProperty("logprob") double logprob,
                 @JsonProperty("tokens") int tokens, @JsonProperty("greedy") boolean greedy,
                 @JsonProperty("normalized_logprob") @JsonInclude(JsonInclude.Include.NON_NULL) Double normalizedLogprob,
                 @JsonProperty("separately_encoded") @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean separatelyEncoded) {}

    static ScoreLine of(JsonNode id, ScoreResult r, boolean normalize) {
        if (r.error() != null) return error(id, r.error());
        List<Score> scores = new ArrayList<>(r.scores().size());
        for (CandidateScore s : r.scores()) {
            scores.add(new Score(s.candidate(), s.logprob(), s.tokens(), s.greedy(), normalize ? s.normalizedLogprob() : null, s.separatelyEncoded()));
        }
        return new ScoreLine(id, scores, normalize ? r.bestNormalized() : r.best(), null);
    }

    static ScoreLine error(JsonNode id, String message) { return new ScoreLine(id, List.of(), null, message); }
}
