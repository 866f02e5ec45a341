package io.hydragen.spark.plugin;

import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.resource.ResourceInformation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Executor side of {@link HydragenPlugin}: publishes {@link HydragenMetrics}, connects {@link ExecutorEngines}
 * to the driver, and closes the engines when the executor stops.
 */
public final class HydragenExecutorPlugin implements ExecutorPlugin {
    private static final Logger LOG = LoggerFactory.getLogger(HydragenExecutorPlugin.class);

    @Override
    public void init(PluginContext ctx, Map<String, String> extraConf) {
        HydragenMetrics.get().registerIn(ctx.metricRegistry());
        ExecutorEngines.attach(ctx);
        List<String> gpus = new ArrayList<>();
        ResourceInformation gpu = ctx.resources().get("gpu");
        if (gpu != null) gpus.addAll(Arrays.asList(gpu.addresses()));
        if (gpus.isEmpty()) quietGpuProbe();
        try {
            ctx.ask(new PluginMessages.ExecutorReady(ctx.executorID(), hostname(ctx), ProcessHandle.current().pid(), gpus));
        } catch (Exception e) {
            // the report is for operators and tests; an executor that cannot make it can still generate
            LOG.warn("hydragen executor plugin could not report to the driver plugin: {}", e.toString());
        }
    }

    /**
     * DJL's tokenizer library probes for a GPU when it loads and warns "Failed to detect GPU count" where there is
     * none; on an executor without a GPU that warning is noise (the engine picks its device itself), so its logger
     * is set to ERROR when the logging backend is Spark's log4j 2.
     */
    static void quietGpuProbe() {
        try {
            Class<?> configurator = Class.forName("org.apache.logging.log4j.core.config.Configurator");
            Class<?> level = Class.forName("org.apache.logging.log4j.Level");
            configurator.getMethod("setLevel", String.class, level)
                    .invoke(null, "ai.djl.util.cuda.CudaUtils", level.getField("ERROR").get(null));
        } catch (ReflectiveOperationException | LinkageError e) {
            // another logging backend: leave it as configured
        }
    }

    /** The executor's host: the plugin context's, which is not known on every cluster manager, else the JVM's. */
    private static String hostname(PluginContext ctx) {
        try {
            return ctx.hostname();
        } catch (RuntimeException e) {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.net.UnknownHostException u) {
                return "unknown";
            }
        }
    }

    @Override
    public void shutdown() {
        ExecutorEngines.closeAll();
    }
}
