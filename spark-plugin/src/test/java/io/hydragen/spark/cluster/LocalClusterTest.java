package io.hydragen.spark.cluster;

import io.hydragen.generate.Completion;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.spark.TestSpark;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import io.hydragen.seed.RowSeeds;
import io.hydragen.spark.plugin.DriverRegistry;
import io.hydragen.spark.plugin.PluginMessages;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two executor JVMs (Spark's local-cluster: a master and a worker in this JVM, executors forked like on a real
 * cluster): the plugin starts on each executor, each loads the model once however many tasks it runs, Kryo runs with
 * registration required, and the rows equal the engine's when called here directly.
 */
class LocalClusterTest {
    static SparkSession spark;

    @BeforeAll
    static void start() throws Exception {
        spark = TestSpark.localCluster("LocalClusterTest", "local-cluster[2,1,1024]")
                .config("spark.task.maxFailures", "1")
                .config("spark.deploy.maxExecutorRetries", "2")
                .getOrCreate();
        // wait (bounded) until both executors have registered, so the job's tasks can run on both
        assertEquals(3, TestSpark.awaitExecutors(spark, 3), "driver + 2 executors");
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    /** This JVM's class path as plain entries (surefire may hand us a manifest-only jar). */

    @Test
    void pluginStartsOnEachExecutorWhichLoadsTheModelOnce() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            rows.add(RowFactory.create("q" + i, "Shared context about executors and tasks. Question number " + i % 8 + " variant " + i));
        }
        StructType schema = new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType);
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").maxNewTokens(4).temperature(0.7).seed(3)
                .batchSize(4).partitions(8).backend("cpu").build();

        Map<String, String> got = new HashMap<>();
        for (int run = 0; run < 2; run++) {
            for (Row r : Hydragen.generate(spark.createDataFrame(rows, schema).repartition(4), o).select("id", "completion").collectAsList()) {
                String before = got.put(r.getString(0), r.getString(1));
                if (before != null) assertEquals(before, r.getString(1), "second run differs for " + r.getString(0));
            }
        }
        assertEquals(32, got.size());

        Set<String> executors = DriverRegistry.executors().stream().map(PluginMessages.ExecutorReady::executorId)
                .filter(id -> !id.equals("driver")).collect(Collectors.toSet());
        assertEquals(2, executors.size(), "plugin ready on: " + DriverRegistry.executors());
        Set<Long> pids = DriverRegistry.executors().stream().filter(m -> !m.executorId().equals("driver"))
                .map(PluginMessages.ExecutorReady::pid).collect(Collectors.toSet());
        assertEquals(2, pids.size(), "two executor JVMs");
        assertFalse(pids.contains(ProcessHandle.current().pid()));

        List<PluginMessages.ModelLoaded> loads = DriverRegistry.modelLoads();
        Map<String, Long> loadsPerExecutor = loads.stream().collect(Collectors.groupingBy(PluginMessages.ModelLoaded::executorId, Collectors.counting()));
        assertEquals(executors, loadsPerExecutor.keySet(), "both executors generated: " + loads);
        loadsPerExecutor.values().forEach(n -> assertEquals(1L, n, "loads per executor: " + loadsPerExecutor));

        try (Engine engine = Engine.open(EngineOptions.of("synthetic:tiny").withBackend("cpu"))) {
            List<GenerationRequest> reqs = new ArrayList<>();
            for (Row r : rows) reqs.add(GenerationRequest.ofText(r.getString(0), r.getString(1),
                    o.samplingParams(RowSeeds.forPrompt(o.seed(), r.getString(1), 0))));
            for (Completion c : engine.generate(reqs).completions()) assertEquals(c.text(), got.get(c.requestId()), c.requestId());
        }
    }
}
