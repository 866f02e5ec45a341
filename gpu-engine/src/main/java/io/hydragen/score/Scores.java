package io.hydragen.score;

import io.hydragen.generate.BatchStats;

import java.util.List;

/** The results of one {@link Scorer#score} call, in request order, and what the engine did for them. */
public record Scores(List<ScoreResult> results, BatchStats stats) {
    public Scores {
        results = List.copyOf(results);
    }
}
