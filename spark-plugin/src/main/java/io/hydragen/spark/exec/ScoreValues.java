package io.hydragen.spark.exec;

import io.hydragen.score.CandidateScore;
import io.hydragen.score.ScoreResult;
import io.hydragen.spark.api.ScoreColumns;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;

/** A {@link ScoreResult} as Spark values of {@link ScoreColumns}: internal ones, converted by Spark for external rows. */
public final class ScoreValues {
    private ScoreValues() {}

    /** The candidates' scores, in the request's order, as {@link ScoreColumns#CANDIDATES}. */
    public static ArrayData scores(ScoreResult r) {
        Object[] items = new Object[r.scores().size()];
        for (int i = 0; i < items.length; i++) {
            CandidateScore s = r.scores().get(i);
            items[i] = new GenericInternalRow(new Object[]{UTF8String.fromString(s.candidate()), s.logprob(), s.tokens(), s.greedy()});
        }
        return new GenericArrayData(items);
    }

    /** {@code hydragen_score}'s struct ({@link ScoreColumns#SCORE}), or null for a row the engine could not score. */
    public static GenericInternalRow struct(ScoreResult r) {
        if (r.error() != null) return null;
        return new GenericInternalRow(new Object[]{scores(r), r.best() == null ? null : UTF8String.fromString(r.best())});
    }

    /** The external values of {@code scores}, {@code best} and {@code error}, for a DataFrame row. */
    public static Object[] external(ScoreResult r) {
        if (r.error() != null) return new Object[]{null, null, r.error()};
        return new Object[]{org.apache.spark.sql.catalyst.CatalystTypeConverters.convertToScala(scores(r), ScoreColumns.CANDIDATES), r.best(), null};
    }
}
