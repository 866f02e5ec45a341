package io.hydragen.spark.cluster;

import io.hydragen.generate.Completion;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.spark.TestSpark;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import io.hydragen.spark.exec.RowSeeds;
import io.hydragen.spark.plugin.DriverRegistry;
import io.hydragen.spark.plugin.PluginMessages;
import org.apache.spark.ExecutorLostFailure;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An executor JVM killed ({@code kill -9}) while it generates: on {@code local-cluster[2,1,1024]} the job goes on on
 * the surviving executor and the master's replacement, and its output holds every input row exactly once with the
 * completions of an undisturbed run and of the engine called directly.
 */
class ExecutorLossTest {
    static SparkSession spark;
    static final Events events = new Events();

    @BeforeAll
    static void start() throws Exception {
        SparkSession.getDefaultSession().foreach(s -> { s.stop(); return null; });
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
        Path home = Path.of(System.getProperty("spark.test.home", "target/spark-home"));
        Files.createDirectories(home.resolve("jars"));
        Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
        spark = TestSpark.local("ExecutorLossTest")
                .master("local-cluster[2,1,1024]")
                .config("spark.executor.extraClassPath", LocalClusterTest.testClassPath())
                .config("spark.executor.extraJavaOptions", System.getProperty("hydragen.jvm.flags", ""))
                .config("spark.hydragen.modelCacheDir", home.resolve("model-cache").toString())
                // a lost executor does not count against a task's failures; a margin for anything else
                .config("spark.task.maxFailures", "4")
                .config("spark.deploy.maxExecutorRetries", "4")
                .getOrCreate();
        spark.sparkContext().addSparkListener(events);
        for (int i = 0; i < 300 && spark.sparkContext().statusTracker().getExecutorInfos().length < 3; i++) Thread.sleep(100);
        assertEquals(3, spark.sparkContext().statusTracker().getExecutorInfos().length, "driver + 2 executors");
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType);

    static List<Row> prompts() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            rows.add(RowFactory.create("k" + i, "Family " + (i % 4) + " shares this opening about lost executors and retried tasks. Row " + i));
        }
        return rows;
    }

    /** Eight generation tasks of a few engine batches each: about a second or more per task on one core. */
    static GenerateOptions options() {
        return GenerateOptions.builder("synthetic:tiny").maxNewTokens(160).ignoreEos(true).temperature(0.9).seed(99)
                .batchSize(2).partitions(8).backend("cpu").build();
    }

    static Map<String, String> collect(Dataset<Row> out) {
        Map<String, String> m = new TreeMap<>();
        for (Row r : out.select("id", "completion").collectAsList()) {
            assertNull(m.put(r.getString(0), r.getString(1)), "row " + r.getString(0) + " came out twice");
        }
        return m;
    }

    @Test
    void killingAnExecutorMidJobLosesNoRowAndDuplicatesNone() throws Exception {
        List<Row> rows = prompts();
        GenerateOptions o = options();
        Dataset<Row> df = spark.createDataFrame(rows, SCHEMA).repartition(4);

        // the disturbed run first, so that a model load reports a generation task starting on a fresh executor
        CompletableFuture<Map<String, String>> job = CompletableFuture.supplyAsync(() -> collect(Hydragen.generate(df, o)));
        PluginMessages.ModelLoaded first = null;
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120); first == null && !job.isDone() && System.nanoTime() < deadline; ) {
            List<PluginMessages.ModelLoaded> loads = DriverRegistry.modelLoads();
            if (loads.isEmpty()) Thread.sleep(10);
            else first = loads.get(0);
        }
        assertNotNull(first, "no executor started generating before the job ended");
        String victim = first.executorId();
        long pid = DriverRegistry.executors().stream().filter(e -> e.executorId().equals(victim)).findFirst()
                .orElseThrow(() -> new AssertionError("executor " + victim + " never reported ready")).pid();
        ProcessHandle process = executorProcess(pid).orElseThrow(() -> new AssertionError("no executor JVM with pid " + pid));
        assertTrue(process.destroyForcibly(), "kill -9 executor " + victim);
        assertTrue(process.onExit().get(30, TimeUnit.SECONDS) != null && !process.isAlive());

        Map<String, String> disturbed = job.get(180, TimeUnit.SECONDS);
        assertEquals(rows.size(), disturbed.size(), "every row, exactly once: " + disturbed.keySet());
        for (int i = 0; i < 100 && !(events.removed.contains(victim) && events.lostTasks.contains(victim)); i++) Thread.sleep(50);
        assertTrue(events.removed.contains(victim), "executor " + victim + " was removed: " + events.removed);
        assertTrue(events.lostTasks.stream().anyMatch(victim::equals),
                "a task was running on the killed executor (lost tasks on: " + events.lostTasks + ")");

        Map<String, String> undisturbed = collect(Hydragen.generate(df, o));
        assertEquals(undisturbed, disturbed, "the same completions as an undisturbed run");

        try (Engine engine = Engine.open(EngineOptions.of("synthetic:tiny").withBackend("cpu"))) {
            List<GenerationRequest> reqs = new ArrayList<>();
            for (Row r : rows) reqs.add(GenerationRequest.ofText(r.getString(0), r.getString(1),
                    o.samplingParams(RowSeeds.forPrompt(o.seed(), r.getString(1), 0))));
            Map<String, String> direct = new TreeMap<>();
            for (Completion c : engine.generate(reqs).completions()) direct.put(c.requestId(), c.text());
            assertEquals(direct, disturbed, "the engine's own completions");
        }

        // the master replaces the lost executor (the job itself may have finished on the survivor alone)
        for (int i = 0; i < 300 && spark.sparkContext().statusTracker().getExecutorInfos().length < 3; i++) Thread.sleep(100);
        assertEquals(3, spark.sparkContext().statusTracker().getExecutorInfos().length, "driver + 2 executors again");
    }

    /** The executor JVM with this pid among this JVM's descendants (local-cluster forks them from its workers). */
    static Optional<ProcessHandle> executorProcess(long pid) {
        return ProcessHandle.current().descendants()
                .filter(p -> p.pid() == pid && p.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                .findFirst();
    }

    /** Executors removed, and the executors of tasks that ended because their executor was lost. */
    static final class Events extends SparkListener {
        final List<String> removed = new CopyOnWriteArrayList<>();
        final List<String> lostTasks = new CopyOnWriteArrayList<>();

        @Override
        public void onExecutorRemoved(SparkListenerExecutorRemoved e) { removed.add(e.executorId()); }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
            if (e.reason() instanceof ExecutorLostFailure) lostTasks.add(e.taskInfo().executorId());
        }
    }
}
