package io.hydragen.spark.plugin;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.cuda.CudaBackend;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.model.ModelConfig;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.model.ModelFetcher;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.plugin.PluginContext;
import java.util.Map;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The engines of this executor JVM: one loaded model per (model, backend, device) ({@link ModelKey}), whatever the
 * per-call settings (batch size, samples, attention, minimum shared tokens are passed with each call), shared by
 * every task that needs it, so a model is read from storage and laid out in memory once per executor. At most
 * {@link HydragenConf#MAX_MODELS} are kept ({@link EngineCache}: LRU eviction of idle models, reference counted
 * leases, a fair interruptible lock per model), and a model whose weights do not fit in the free memory is refused
 * before loading ({@link ModelMemory}). Engine threads and the KV budget come from the executor's configuration.
 */
public final class ExecutorEngines {
    private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngines.class);

    private static final EngineCache<LoadedEngine> CACHE = new EngineCache<>(() -> HydragenConf.MAX_MODELS.get(), ExecutorEngines::load);
    private static volatile PluginContext plugin;
    /** Why CUDA could not start for an engine that runs on the CPU instead (backend=auto with a GPU), by model key. */
    private static final Map<ModelKey, String> FALLBACKS = new ConcurrentHashMap<>();
    /** Placement decisions already reported to the driver by this executor. */
    private static final Set<PluginMessages.TaskPlaced> REPORTED = ConcurrentHashMap.newKeySet();

    private ExecutorEngines() {}

    static void attach(PluginContext ctx) { plugin = ctx; }

    /** Tells the driver plugin about one engine call (and waits for it to be counted, so a finished job is all counted). */
    static void report(io.hydragen.generate.BatchStats s, int rows, int errors, Map<String, Long> errorMessages, long answeredPromptTokens) {
        PluginContext ctx = plugin;
        if (ctx == null) return;
        try {
            ctx.ask(new PluginMessages.BatchDone(ctx.executorID(), rows, s.sequences(), errors, answeredPromptTokens,
                    s.sharedPromptTokens(), s.prefilledTokens(), s.generatedTokens(), new java.util.HashMap<>(errorMessages)));
        } catch (Exception e) {
            keepInterrupt(e);
            LOG.warn("could not report an engine call to the driver plugin: {}", e.toString());
        }
    }

    /**
     * A report's wait for the driver is where a killed task's interrupt often lands (it follows every engine call):
     * the report is given up, but the interrupt is set again for the task's next cancellation check, which the
     * catch-all around the report would otherwise swallow.
     */
    static void keepInterrupt(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * A lease on the engine of these options' model on the device the current task was given, loading it if this
     * JVM has none yet. Close the lease when done.
     */
    public static EngineLease acquire(GenerateOptions o) {
        Placement p = Placement.forCurrentTask(o);
        ModelKey key = new ModelKey(o.model(), p.backend(), p.deviceOrdinal());
        EngineLease lease = new EngineLease(CACHE.acquire(key));
        try {
            report(new PluginMessages.TaskPlaced(executorId(), p.taskGpu(), p.backend(), p.deviceOrdinal(),
                    lease.engine().backendName(), FALLBACKS.get(key)));
        } catch (RuntimeException e) {
            LOG.debug("placement report failed: {}", e.toString());
        }
        return lease;
    }

    /** Sends a placement decision to the driver once per executor, without waiting (operators' log; tests read DriverRegistry). */
    private static void report(PluginMessages.TaskPlaced m) {
        if (!REPORTED.add(m)) return;
        LOG.info("engine placement: task gpu {}, backend {}, device {}, running on {}", m.taskGpu(), m.backend(),
                m.deviceOrdinal(), m.engineBackend());
        PluginContext ctx = plugin;
        if (ctx == null) return;
        try {
            ctx.send(m);  // fire and forget: the task does not wait for the driver
        } catch (Exception e) {
            LOG.warn("could not report the engine placement to the driver: {}", e.toString());
        }
    }

    private static String executorId() {
        PluginContext ctx = plugin;
        if (ctx != null) return ctx.executorID();
        SparkEnv env = SparkEnv.get();
        return env == null ? "local" : env.executorId();
    }

    /**
     * The backend an engine of {@code key} opens: "auto" with a GPU becomes "cpu", with a warning saying why, when the
     * CUDA backend cannot start on the task's device (no driver, no such device, no kernels packaged, a head dimension
     * without kernels); the reason is kept for the placement report. Forced "cuda" is left to fail with the reason.
     */
    static String effectiveBackend(ModelKey key, ModelConfig config) {
        if (!key.backend().equals("auto")) return key.backend();
        String why = config == null ? CudaBackend.unavailableReason(key.deviceOrdinal())
                : CudaBackend.unavailableReason(config, key.deviceOrdinal());
        if (why == null) return "cuda";
        String warning = fallbackWarning(key.deviceOrdinal(), why);
        FALLBACKS.put(key, warning);
        HydragenMetrics.get().cpuFallbacks.inc();
        LOG.warn(warning);
        return "cpu";
    }

    /** The warning of a GPU task whose engine runs on the CPU. */
    static String fallbackWarning(int ordinal, String why) {
        return "the task was assigned GPU " + ordinal + " but the CUDA backend cannot start on it (" + why
                + "); running on the CPU backend instead (set backend=cuda to fail instead)";
    }

    /** How many models (engines) this JVM holds. */
    public static int loadedEngines() { return CACHE.size(); }

    /** The loaded models, least recently used first. */
    public static List<ModelKey> loadedModels() { return CACHE.keys(); }

    /** Leases open on the engines held: 0 once every task released what it acquired. */
    public static int openLeases() { return CACHE.openLeases(); }

    /** Evicts every engine (executor shutdown; tests): idle ones close now, ones in use when released. */
    public static void closeAll() {
        CACHE.clear();
        FALLBACKS.clear();
        REPORTED.clear();
    }

    private static LoadedEngine load(ModelKey key) {
        long t0 = System.nanoTime();
        SparkConf conf = sparkConf();
        String local = ModelFetcher.localize(key.model(), hadoopConf(), ModelFetcher.cacheRoot(conf));
        try {
            return open(key, conf, local, t0);
        } catch (RuntimeException | Error e) {
            ModelFetcher.release(local);
            throw e;
        }
    }

    private static LoadedEngine open(ModelKey key, SparkConf conf, String local, long t0) {
        ModelConfig config = ModelMemory.config(local);
        String backend = effectiveBackend(key, config);
        boolean cpu = backend.equals("cpu");
        long weights = config == null ? 0
                : ModelMemory.cpuWeightBytes(config, io.hydragen.backend.cpu.CpuDtype.resolve(HydragenConf.CPU_DTYPE.get(conf), config.dtype()));
        if (cpu && config != null && HydragenConf.MEMORY_CHECK.get(conf)) {
            ModelMemory.check(key.model(), weights, ModelMemory.availableBytes(), "loaded: " + CACHE.keys());
        }
        int threads = engineThreads(conf);
        long kvBudget = kvBudgetBytes(conf, cpu, weights);
        Engine engine;
        try {
            engine = Engine.open(new EngineOptions(local, backend, key.deviceOrdinal(), AttentionMode.HYDRAGEN,
                16, threads, 256, HydragenConf.PREFIX_CACHE_TOKENS.get(conf), kvBudget).withCpuDtype(HydragenConf.CPU_DTYPE.get(conf))
                .withKvCacheDtype(HydragenConf.KV_CACHE_DTYPE.get(conf)));
        } catch (IllegalArgumentException e) {
            if (!backend.equals("cuda")) throw e;
            throw new IllegalArgumentException("model " + key.model() + " on CUDA device " + key.deviceOrdinal()
                    + " (the task's GPU): " + e.getMessage(), e);
        }
        long millis = (System.nanoTime() - t0) / 1_000_000;
        HydragenMetrics.get().modelLoads.inc();
        LOG.info("loaded model {} on {} in {} ms ({} threads, KV budget {} bytes)", key.model(), engine.backendName(),
                millis, threads, kvBudget);
        PluginContext ctx = plugin;
        if (ctx != null) {
            try {
                ctx.ask(new PluginMessages.ModelLoaded(ctx.executorID(), key.model(), engine.backendName(), millis));
            } catch (Exception e) {
                keepInterrupt(e);
                LOG.warn("could not report the model load to the driver: {}", e.toString());
            }
        }
        return new LoadedEngine(engine, local);
    }

    /**
     * CPU threads of an engine: {@code spark.hydragen.threads}, else the executor's cores: the thread count of a
     * {@code local[N]} / {@code local-cluster[n, N, mem]} master, else {@code spark.executor.cores}, else 0 (the
     * engine then uses every core of the host, which is what an executor without a core count may use).
     */
    static int engineThreads(SparkConf conf) {
        int t = HydragenConf.THREADS.get(conf);
        if (t > 0 || conf == null) return t;
        String master = conf.get("spark.master", "");
        Matcher local = Pattern.compile("local\\[(\\*|\\d+)(,\\s*\\d+)?]").matcher(master);
        if (local.matches()) {
            return local.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(local.group(1));
        }
        if (master.equals("local")) return 1;
        Matcher cluster = Pattern.compile("local-cluster\\[\\s*\\d+\\s*,\\s*(\\d+)\\s*,.*]").matcher(master);
        if (cluster.matches()) return Integer.parseInt(cluster.group(1));
        return Math.max(0, conf.getInt("spark.executor.cores", 0));
    }

    /**
     * Bytes of KV one batch may hold: {@code spark.hydragen.kvBudgetBytes} when set, else (CPU engines)
     * {@code spark.hydragen.memoryFraction} of the off-heap capacity left after the weights; 0 = no budget.
     */
    static long kvBudgetBytes(SparkConf conf, boolean cpu, long weightBytes) {
        long explicit = HydragenConf.KV_BUDGET_BYTES.get(conf);
        if (explicit > 0) return explicit;
        double fraction = HydragenConf.MEMORY_FRACTION.get(conf);
        if (fraction == 0 || !cpu) return 0;
        return Math.max(1, (long) (fraction * Math.max(0, ModelMemory.capacityBytes() - weightBytes)));
    }

    private static SparkConf sparkConf() {
        SparkEnv env = SparkEnv.get();
        return env == null ? null : env.conf();
    }

    private static Configuration hadoopConf() {
        SparkEnv env = SparkEnv.get();
        return env == null ? new Configuration() : SparkHadoopUtil.get().newConfiguration(env.conf());
    }
}
