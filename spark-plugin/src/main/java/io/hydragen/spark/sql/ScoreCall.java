package io.hydragen.spark.sql;

import io.hydragen.score.ScoreRequest;
import io.hydragen.score.ScoreResult;
import io.hydragen.score.Scores;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.plugin.EngineLease;
import io.hydragen.spark.plugin.ExecutorEngines;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataTypes;

import java.util.ArrayList;
import java.util.List;

/**
 * One prompt's candidates scored by the executor's engine, for the scalars {@code hydragen_score} and
 * {@code hydragen_classify} (arguments: prompt, {@code array<string>} of candidates). Null for a null or empty prompt,
 * a prompt that is not valid UTF-8 (its bytes would reach the model as U+FFFD), no candidates, a null candidate, or a row the engine cannot score.
 */
final class ScoreCall {
    private ScoreCall() {}

    static ScoreResult score(GenerateOptions options, InternalRow input) {
        if (input.isNullAt(0) || input.isNullAt(1)) return null;
        if (!input.getUTF8String(0).isValid()) return null;
        String prompt = input.getUTF8String(0).toString();
        ArrayData cells = input.getArray(1);
        if (prompt.isEmpty() || cells.numElements() == 0) return null;
        List<String> candidates = new ArrayList<>();
        for (int i = 0; i < cells.numElements(); i++) {
            if (cells.isNullAt(i)) return null;
            candidates.add(cells.get(i, DataTypes.StringType).toString());
        }
        Scores scores;
        // the engine is leased for this call only, as hydragen_complete does
        try (EngineLease engine = ExecutorEngines.acquire(options)) {
            scores = engine.score(List.of(ScoreRequest.ofText("0", prompt, candidates)), options.batchOptions());
        }
        ScoreResult r = scores.results().get(0);
        return r.error() == null ? r : null;
    }
}
