package io.hydragen.spark.cluster;

import io.hydragen.backend.cuda.CudaBackend;
import io.hydragen.spark.TestSpark;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Spark's GPU resource scheduling on the CPU: a local-cluster worker with two GPUs from a discovery script
 * ({"name":"gpu","addresses":["0","1"]}), one executor holding both, one GPU per task. Each task's engine is placed
 * on the device ordinal of the GPU address Spark assigned it; with no CUDA here, backend=auto runs on the CPU with
 * a warning saying why, and backend=cuda fails saying why.
 */
class GpuSchedulingTest {
    static SparkSession spark;

    @BeforeAll
    static void start() throws Exception {
        Path script = Files.createTempFile("gpu-discovery", ".sh");
        Files.writeString(script, "#!/usr/bin/env bash\necho '{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\"]}'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        spark = TestSpark.localCluster("GpuSchedulingTest", "local-cluster[1,2,1024]")
                .config("spark.task.maxFailures", "1")
                .config("spark.worker.resource.gpu.amount", "2")
                .config("spark.worker.resource.gpu.discoveryScript", script.toString())
                .config("spark.executor.resource.gpu.amount", "2")
                .config("spark.executor.resource.gpu.discoveryScript", script.toString())
                .config("spark.task.resource.gpu.amount", "1")
                .getOrCreate();
        assertEquals(2, TestSpark.awaitExecutors(spark, 2), "driver + 1 executor");
    }

    @AfterAll
    static void stop() {
        if (spark != null) spark.stop();
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
    }

    private static List<Row> run(String backend) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 16; i++) rows.add(RowFactory.create("q" + i, "Shared context about GPUs. Question " + i % 4 + " variant " + i));
        StructType schema = new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType);
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").maxNewTokens(2).seed(1).batchSize(4).partitions(4)
                .backend(backend).build();
        return Hydragen.generate(spark.createDataFrame(rows, schema).repartition(4), o).select("id", "completion", "error").collectAsList();
    }

    @Test
    void engineRunsOnTheTasksGpuOrdinalAndFallsBackToTheCpuWithAWarning() {
        List<Row> out = run("auto");
        List<PluginMessages.ExecutorReady> ready = DriverRegistry.executors().stream().filter(m -> !m.executorId().equals("driver")).toList();
        assertEquals(1, ready.size(), "executors: " + DriverRegistry.executors());
        assertEquals(Set.of("0", "1"), Set.copyOf(ready.get(0).gpus()), "the executor holds both GPUs of the discovery script");

        assertEquals(16, out.size());
        String why = CudaBackend.unavailableReason(0);
        assertNotNull(why, "this test expects no usable CUDA device");
        for (Row r : out) assertNull(r.get(2), "row " + r.get(0) + " error");

        // placements are sent without waiting: give the last ones a moment to arrive
        for (int i = 0; i < 100 && DriverRegistry.placements().stream().map(PluginMessages.TaskPlaced::taskGpu).distinct().count() < 2; i++) {
            sleep(100);
        }
        List<PluginMessages.TaskPlaced> placed = DriverRegistry.placements();
        assertFalse(placed.isEmpty(), "no placement reported");
        for (PluginMessages.TaskPlaced p : placed) {
            assertNotNull(p.taskGpu(), "every task was assigned a GPU: " + placed);
            assertTrue(Set.of("0", "1").contains(p.taskGpu()), p.toString());
            assertEquals(Integer.parseInt(p.taskGpu()), p.deviceOrdinal(), "ordinal = the task's GPU address: " + p);
            assertEquals("auto", p.backend());
            assertTrue(p.engineBackend().startsWith("cpu"), p.toString());
            assertNotNull(p.warning(), "the CPU fallback comes with a warning: " + p);
            assertTrue(p.warning().contains("assigned GPU " + p.deviceOrdinal()) && p.warning().contains("running on the CPU"), p.warning());
        }
        System.out.println("[gpu-scheduling] placements: " + placed);
        Set<String> gpus = placed.stream().map(PluginMessages.TaskPlaced::taskGpu).collect(Collectors.toSet());
        System.out.println("[gpu-scheduling] task GPU addresses used: " + gpus);

        // backend=cuda: no silent fallback; the failure says why CUDA cannot start
        Throwable err = null;
        String rowError = null;
        try {
            for (Row r : run("cuda")) if (r.get(2) != null) rowError = r.getString(2);
        } catch (Exception e) {  // SparkException (the task failed), declared by Scala as unchecked
            err = e;
        }
        String msg = err != null ? stackText(err) : rowError;
        assertNotNull(msg, "backend=cuda must fail without a GPU");
        assertTrue(msg.contains("not available") && msg.contains("the task's GPU"), msg.length() > 2000 ? msg.substring(0, 2000) : msg);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String stackText(Throwable t) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) b.append(c).append('\n');
        return b.toString();
    }
}
