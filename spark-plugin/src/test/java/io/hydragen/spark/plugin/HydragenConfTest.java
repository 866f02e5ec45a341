package io.hydragen.spark.plugin;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The configuration registry: typed reads, the README's table, warnings for unknown keys. */
class HydragenConfTest {

    @Test
    void theReadmeListsEveryKeyAsTheRegistryDeclaresIt() throws Exception {
        Path readme = Path.of("README.md");
        if (!Files.exists(readme)) readme = Path.of("spark-plugin/README.md");
        String text = Files.readString(readme);
        String table = HydragenConf.markdownTable();
        assertTrue(text.contains("<!-- BEGIN HydragenConf -->\n" + table + "<!-- END HydragenConf -->"),
                "spark-plugin/README.md's configuration table is stale; replace it with:\n" + table);
        for (String key : HydragenConf.keys()) assertTrue(text.contains("`" + key + "`"), key);
        assertTrue(HydragenConf.keys().size() >= 9);
    }

    @Test
    void typedGettersReadDefaultsAndValuesAndNameABadOne() {
        SparkConf conf = new SparkConf(false);
        assertEquals(1, HydragenConf.MAX_MODELS.get(conf));
        assertEquals(0.5, HydragenConf.MEMORY_FRACTION.get(conf));
        assertEquals(16384, HydragenConf.PREFIX_CACHE_TOKENS.get((SparkConf) null));
        conf.set("spark.hydragen.maxModelsPerExecutor", "2").set("spark.hydragen.kvBudgetBytes", "1048576");
        assertEquals(2, HydragenConf.MAX_MODELS.get(conf));
        assertEquals(1L << 20, HydragenConf.KV_BUDGET_BYTES.get(conf));
        conf.set("spark.hydragen.threads", "many");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> HydragenConf.THREADS.get(conf));
        assertTrue(bad.getMessage().contains("spark.hydragen.threads") && bad.getMessage().contains("many"), bad.getMessage());
        conf.set("spark.hydragen.memoryFraction", "1.5");
        assertThrows(IllegalArgumentException.class, () -> HydragenConf.MEMORY_FRACTION.get(conf));
    }

    @Test
    void unknownKeysAreNamedWithTheNearestKnownOne() {
        List<String> w = HydragenConf.warnUnknown(Map.of("spark.hydragen.maxModelPerExecutor", "2",
                "spark.hydragen.threads", "4", "spark.executor.cores", "2"));
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains("spark.hydragen.maxModelPerExecutor")
                && w.get(0).contains("did you mean 'spark.hydragen.maxModelsPerExecutor'"), w.get(0));
    }

    @Test
    void engineThreadsDefaultToTheExecutorsCores() {
        assertEquals(3, ExecutorEngines.engineThreads(new SparkConf(false).set("spark.master", "local[3,2]")));
        assertEquals(Runtime.getRuntime().availableProcessors(),
                ExecutorEngines.engineThreads(new SparkConf(false).set("spark.master", "local[*]")));
        assertEquals(4, ExecutorEngines.engineThreads(new SparkConf(false).set("spark.master", "spark://h:7077")
                .set("spark.executor.cores", "4")));
        assertEquals(2, ExecutorEngines.engineThreads(new SparkConf(false).set("spark.master", "local-cluster[2, 2, 1024]")));
        assertEquals(6, ExecutorEngines.engineThreads(new SparkConf(false).set("spark.master", "local[2]")
                .set("spark.hydragen.threads", "6")));
    }

    @Test
    void kvBudgetIsExplicitOrAFractionOfWhatTheWeightsLeave() {
        assertEquals(123, ExecutorEngines.kvBudgetBytes(new SparkConf(false).set("spark.hydragen.kvBudgetBytes", "123"), true, 10));
        assertEquals(0, ExecutorEngines.kvBudgetBytes(new SparkConf(false).set("spark.hydragen.memoryFraction", "0"), true, 10));
        assertEquals(0, ExecutorEngines.kvBudgetBytes(new SparkConf(false), false, 10), "GPU: only an explicit budget");
        long half = ExecutorEngines.kvBudgetBytes(new SparkConf(false), true, 0);
        assertEquals(ModelMemory.capacityBytes() / 2, half, ModelMemory.capacityBytes() / 100 + 1);
    }

    @Test
    void sessionDefaultsOfGenerationOptions() {
        org.apache.spark.sql.internal.SQLConf conf = new org.apache.spark.sql.internal.SQLConf();
        conf.setConfString("spark.hydragen.defaults.max_new_tokens", "5");
        conf.setConfString("spark.hydragen.defaults.TEMPERATURE", "0.5");
        assertEquals(Map.of("max_new_tokens", "5", "temperature", "0.5"), HydragenConf.sessionDefaults(conf));
        assertEquals(Map.of("max_new_tokens", "8", "temperature", "0.5"),
                HydragenConf.withDefaults(HydragenConf.sessionDefaults(conf), Map.of("MAX_NEW_TOKENS", "8")), "a call's own option wins");
        assertEquals(List.of(), HydragenConf.warnUnknown(Map.of("spark.hydragen.defaults.max_new_tokens", "5")));
        conf.setConfString("spark.hydragen.defaults.max_new_token", "5");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HydragenConf.sessionDefaults(conf));
        assertTrue(e.getMessage().contains("max_new_tokens"), e.getMessage());
    }
}
