package io.hydragen.spark.exec;

import io.hydragen.spark.TestSpark;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import io.hydragen.spark.plugin.ExecutorEngines;
import io.hydragen.spark.plugin.HydragenMetrics;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Cancelling a job stops its generation task between batches (static) or within a forward pass of its stream
 * (continuous), without running the rest or retrying rows, and releases the engine.
 */
class CancellationSparkTest {

    /** @param units the metric records the whole job would make: 60 one-row batches, or 60 rows of one stream (one record per batch_size rows) */
    @ParameterizedTest
    @CsvSource({"static, 60", "continuous, 60"})
    void aCancelledJobStopsGeneratingAndReleasesTheEngine(String scheduler, int units) throws Exception {
        SparkSession spark = TestSpark.shared();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 60; i++) rows.add(RowFactory.create("Count slowly to a hundred, step " + i + ":"));
        var prompts = spark.createDataFrame(rows, new StructType().add("prompt", DataTypes.StringType)).coalesce(1);
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").maxNewTokens(48).ignoreEos(true).batchSize(1)
                .routing("none").scheduler(scheduler).build();
        HydragenMetrics m = HydragenMetrics.get();
        long batches0 = m.batches.getCount();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread job = new Thread(() -> {
            spark.sparkContext().setJobGroup("cancel-" + scheduler, "cancellation test", true);
            try {
                Hydragen.generate(prompts, o).collectAsList();
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                spark.sparkContext().clearJobGroup();
            }
        });
        job.start();
        long deadline = System.currentTimeMillis() + 120_000;
        while (m.batches.getCount() - batches0 < 2 && job.isAlive() && System.currentTimeMillis() < deadline) Thread.sleep(5);
        assertNull(failure.get(), () -> "the job failed before it was cancelled: " + failure.get());
        assertTrue(m.batches.getCount() - batches0 >= 2, "the job started generating");
        long t0 = System.nanoTime();
        spark.sparkContext().cancelJobGroup("cancel-" + scheduler);
        job.join(30_000);
        assertFalse(job.isAlive());
        assertNotNull(failure.get(), "the job was cancelled, not completed");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds < 10, "stopped promptly: " + seconds + " s");
        // The driver fails the job at once, before the kill reaches the task: the task may still finish the engine
        // call it is in (and count it). Releasing the engine is its last act: wait (bounded) for that, then count.
        long deadlineRelease = System.currentTimeMillis() + 60_000;
        while (ExecutorEngines.openLeases() > 0 && System.currentTimeMillis() < deadlineRelease) Thread.sleep(10);
        assertEquals(0, ExecutorEngines.openLeases(), "the killed task released its engine");
        long ran = m.batches.getCount() - batches0;
        assertTrue(ran < units, "stopped early, ran " + ran + " of " + units + " engine calls");
        Thread.sleep(300);
        assertEquals(ran, m.batches.getCount() - batches0, "nothing runs after the task was killed");
    }
}
