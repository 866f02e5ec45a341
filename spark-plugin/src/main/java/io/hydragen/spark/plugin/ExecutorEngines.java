package io.hydragen.spark.plugin;

import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.model.ModelFetcher;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * The engines of this executor JVM: one per {@link EngineKey} (model, device, engine settings), loaded on first use
 * and shared by every task that needs it, so a model is read from storage and laid out in memory once per executor,
 * not once per task. Concurrent first users wait for the one load in flight. A load that fails is forgotten, so a
 * retried task tries again.
 */
public final class ExecutorEngines {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngines.class);
    /** Local directory where models from remote file systems are cached. */
    public static final String CACHE_DIR_CONF = "spark.hydragen.modelCacheDir";

    private static final Map<EngineKey, CompletableFuture<Engine>> ENGINES = new ConcurrentHashMap<>();
    private static volatile PluginContext plugin;

    private ExecutorEngines() {}

    static void attach(PluginContext ctx) { plugin = ctx; }

    /** The engine for these options on the device the current task was given, loading it if this JVM has none yet. */
    public static Engine acquire(GenerateOptions o) {
        EngineKey key = EngineKey.of(o, Placement.forCurrentTask(o));
        CompletableFuture<Engine> mine = new CompletableFuture<>();
        CompletableFuture<Engine> existing = ENGINES.putIfAbsent(key, mine);
        if (existing != null) return await(existing);
        try {
            mine.complete(load(key));
        } catch (RuntimeException | Error e) {
            ENGINES.remove(key, mine);
            mine.completeExceptionally(e);
        }
        return await(mine);
    }

    /** How many engines this JVM holds. */
    public static int loadedEngines() { return ENGINES.size(); }

    /** Closes every engine (executor shutdown). */
    public static void closeAll() {
        List<CompletableFuture<Engine>> all = new ArrayList<>(ENGINES.values());
        ENGINES.clear();
        for (CompletableFuture<Engine> f : all) {
            if (f.isDone() && !f.isCompletedExceptionally()) f.join().close();
        }
    }

    private static Engine load(EngineKey key) {
        long t0 = System.nanoTime();
        String local = ModelFetcher.localize(key.model(), hadoopConf(), cacheRoot());
        Engine engine = Engine.open(new EngineOptions(local, key.backend(), key.deviceOrdinal(), key.attention(),
                key.minSharedTokens(), key.threads(), key.maxBatchSequences(), prefixCacheTokens(), 0L));
        long millis = (System.nanoTime() - t0) / 1_000_000;
        HydragenMetrics.get().modelLoads.inc();
        LOG.info("loaded model {} on {} in {} ms", key.model(), engine.backendName(), millis);
        PluginContext ctx = plugin;
        if (ctx != null) {
            try {
                ctx.ask(new PluginMessages.ModelLoaded(ctx.executorID(), key.model(), engine.backendName(), millis));
            } catch (Exception e) {
                LOG.warn("could not report the model load to the driver: {}", e.toString());
            }
        }
        return engine;
    }

    private static Engine await(CompletableFuture<Engine> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the model was loading", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    private static Configuration hadoopConf() {
        SparkEnv env = SparkEnv.get();
        return env == null ? new Configuration() : SparkHadoopUtil.get().newConfiguration(env.conf());
    }

    /**
     * Prompt-start KV each executor engine keeps across calls ({@value #PREFIX_CACHE_CONF}, default
     * {@value #PREFIX_CACHE_DEFAULT} tokens): repeated {@code hydragen_complete} prefixes and groups split over several
     * batches copy it instead of prefilling again. 0 turns it off.
     */
    static int prefixCacheTokens() {
        SparkEnv env = SparkEnv.get();
        return env == null ? PREFIX_CACHE_DEFAULT : env.conf().getInt(PREFIX_CACHE_CONF, PREFIX_CACHE_DEFAULT);
    }

    static final String PREFIX_CACHE_CONF = "spark.hydragen.prefixCacheTokens";
    static final int PREFIX_CACHE_DEFAULT = 16384;

    private static Path cacheRoot() {
        SparkEnv env = SparkEnv.get();
        SparkConf conf = env == null ? null : env.conf();
        String dir = conf != null && conf.contains(CACHE_DIR_CONF) ? conf.get(CACHE_DIR_CONF)
                : Path.of(System.getProperty("java.io.tmpdir"), "hydragen-models-" + System.getProperty("user.name")).toString();
        return Path.of(dir);
    }
}
