package io.hydragen.spark.plugin;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.SlidingTimeWindowArrayReservoir;
import io.hydragen.generate.BatchStats;

import java.util.concurrent.TimeUnit;

/**
 * The generation metrics of this JVM. {@link HydragenExecutorPlugin} registers them with Spark's metrics system
 * (the executor's plugin source, so they appear in the UI's REST API and every configured sink); without the plugin
 * they are still counted, just not published.
 */
public final class HydragenMetrics {
    private static final HydragenMetrics INSTANCE = new HydragenMetrics();

    public final Counter prompts = new Counter();
    public final Counter promptTokens = new Counter();
    public final Counter sharedPromptTokens = new Counter();
    public final Counter prefilledTokens = new Counter();
    public final Counter generatedTokens = new Counter();
    public final Counter batches = new Counter();
    public final Counter errorRows = new Counter();
    public final Counter modelLoads = new Counter();
    /** Engines that were given a GPU but run on the CPU because the CUDA backend could not start (backend=auto). */
    public final Counter cpuFallbacks = new Counter();
    /** Decode tokens/s of the batches of the last minute. */
    public final Histogram decodeTokensPerSecond = new Histogram(new SlidingTimeWindowArrayReservoir(60, TimeUnit.SECONDS));
    private volatile double lastDecodeTokensPerSecond;

    private HydragenMetrics() {}

    public static HydragenMetrics get() { return INSTANCE; }

    /** Counts one engine call. */
    public void record(BatchStats s, int rows, int errors) {
        record(s, rows, errors, java.util.Map.of(), s.promptTokens());
    }

    /**
     * Counts one engine call, and reports it to the driver ({@link EngineTotals}) with its error rows' messages
     * (message to rows) and the prompt tokens of its answered rows, so the driver knows what the engine did without
     * reading the output.
     */
    public void record(BatchStats s, int rows, int errors, java.util.Map<String, Long> errorMessages, long answeredPromptTokens) {
        ExecutorEngines.report(s, rows, errors, errorMessages, answeredPromptTokens);
        prompts.inc(rows);
        errorRows.inc(errors);
        batches.inc();
        promptTokens.inc(s.promptTokens());
        sharedPromptTokens.inc(s.sharedPromptTokens());
        prefilledTokens.inc(s.prefilledTokens());
        generatedTokens.inc(s.generatedTokens());
        if (s.decodeNanos() > 0) {
            double rate = s.decodeTokensPerSecond();
            lastDecodeTokensPerSecond = rate;
            decodeTokensPerSecond.update(Math.round(rate));
        }
    }

    /** Publishes every metric under its name (e.g. {@code generatedTokens}) in the given registry. */
    void registerIn(MetricRegistry registry) {
        registry.register("prompts", prompts);
        registry.register("promptTokens", promptTokens);
        registry.register("sharedPromptTokens", sharedPromptTokens);
        registry.register("prefilledTokens", prefilledTokens);
        registry.register("generatedTokens", generatedTokens);
        registry.register("batches", batches);
        registry.register("errorRows", errorRows);
        registry.register("cpuFallbacks", cpuFallbacks);
        registry.register("modelLoads", modelLoads);
        registry.register("decodeTokensPerSecond", decodeTokensPerSecond);
        registry.register("lastDecodeTokensPerSecond", (Gauge<Double>) () -> lastDecodeTokensPerSecond);
    }
}
