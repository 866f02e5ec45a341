package io.hydragen.spark.api;

import io.hydragen.spark.TestSpark;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A generate task that fails part-way through its first attempt is retried and gives the same rows, none lost and
 * none twice. The failure is thrown in the same stage as the generation (a map over its output, after some rows
 * have been produced), so the retried attempt redoes the generation.
 */
class TaskRetryTest {
    static SparkSession spark;

    @BeforeAll
    static void start() { spark = TestSpark.shared(); }

    @Test
    void aTaskThatFailsOnceIsRetriedWithTheSameRows() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 24; i++) rows.add(RowFactory.create("t" + i, "Retry me, prompt " + (i % 6) + " of family " + (i / 6)));
        Dataset<Row> df = spark.createDataFrame(rows, new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType));
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").maxNewTokens(4).temperature(1.0).seed(77)
                .batchSize(3).partitions(3).backend("cpu").build();

        Map<String, String> clean = collect(Hydragen.generate(df, o).map(
                (MapFunction<Row, String>) r -> r.getString(0) + "\t" + r.getAs("completion"), Encoders.STRING()));

        MapFunction<Row, String> failFirstAttemptMidPartition = new FailFirstAttempt();
        List<String> retried = Hydragen.generate(df, o).map(failFirstAttemptMidPartition, Encoders.STRING()).collectAsList();
        assertEquals(24, retried.size());
        Map<String, String> byId = new HashMap<>();
        boolean sawRetry = false;
        for (String s : retried) {
            String[] f = s.split("\t");
            assertNull(byId.put(f[0], f[1]), "row " + f[0] + " came out twice");
            if (f[3].equals("1")) {
                assertEquals("1", f[2], "rows of partition 1 come from its second attempt");
                sawRetry = true;
            }
        }
        assertTrue(sawRetry, "partition 1 had rows");
        assertEquals(clean, byId);
    }

    /** Throws at the 4th row of partition 1's first attempt; otherwise tags each row with its attempt and partition. */
    static final class FailFirstAttempt implements MapFunction<Row, String> {
        private int seen;

        @Override
        public String call(Row r) {
            TaskContext tc = TaskContext.get();
            if (tc.attemptNumber() == 0 && tc.partitionId() == 1 && ++seen == 4) {
                throw new IllegalStateException("injected failure in the first attempt of partition 1");
            }
            return r.getString(0) + "\t" + r.getAs("completion") + "\t" + tc.attemptNumber() + "\t" + tc.partitionId();
        }
    }

    static Map<String, String> collect(Dataset<String> ds) {
        Map<String, String> m = new HashMap<>();
        for (String s : ds.collectAsList()) {
            String[] f = s.split("\t");
            assertNull(m.put(f[0], f[1]));
        }
        return m;
    }
}
