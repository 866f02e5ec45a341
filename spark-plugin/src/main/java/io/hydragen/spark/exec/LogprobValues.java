package io.hydragen.spark.exec;

import io.hydragen.generate.Completion;
import io.hydragen.generate.TokenLogprob;
import io.hydragen.generate.TopLogprob;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.LogprobColumns;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;

import java.util.Arrays;
import java.util.List;

/**
 * A sample's values for the {@link LogprobColumns}, appended after its other output values: built as Spark's internal
 * values (the DataSource's rows), and converted to external ones by Spark's own converter for the DataFrame path.
 */
public final class LogprobValues {
    private LogprobValues() {}

    /** {@code values} followed by the log-probability columns these options have (nulls for an error row). */
    public static Object[] append(Object[] values, Completion c, GenerateOptions o, boolean external) {
        int extra = (o.completionLogprobs() ? 2 : 0) + (o.promptLogprobsColumn() ? 1 : 0);
        if (extra == 0) return values;
        Object[] v = Arrays.copyOf(values, values.length + extra);
        int i = values.length;
        if (o.completionLogprobs()) {
            v[i++] = tokens(c.logprobs(), external);
            v[i++] = c.cumulativeLogprob();
        }
        if (o.promptLogprobsColumn()) v[i] = tokens(c.promptLogprobs(), external);
        return v;
    }

    private static Object tokens(List<TokenLogprob> tokens, boolean external) {
        if (tokens == null) return null;
        Object[] items = new Object[tokens.size()];
        for (int k = 0; k < items.length; k++) {
            TokenLogprob t = tokens.get(k);
            if (t == null) continue; // a prompt's first token: nothing predicts it
            Object[] top = new Object[t.top().size()];
            for (int j = 0; j < top.length; j++) {
                TopLogprob x = t.top().get(j);
                top[j] = new GenericInternalRow(new Object[]{x.id(), utf8(x.token()), (float) x.logprob()});
            }
            items[k] = new GenericInternalRow(new Object[]{t.id(), utf8(t.token()), (float) t.logprob(), new GenericArrayData(top)});
        }
        ArrayData internal = new GenericArrayData(items);
        return external ? CatalystTypeConverters.convertToScala(internal, LogprobColumns.TOKENS) : internal;
    }

    private static UTF8String utf8(String s) { return s == null ? null : UTF8String.fromString(s); }
}
