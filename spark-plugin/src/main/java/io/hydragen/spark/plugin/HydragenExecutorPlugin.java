package io.hydragen.spark.plugin;

import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.resource.ResourceInformation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Executor side of {@link HydragenPlugin}: publishes {@link HydragenMetrics}, connects {@link ExecutorEngines}
 * to the driver, and closes the engines when the executor stops.
 */
public final class HydragenExecutorPlugin implements ExecutorPlugin {

    @Override
    public void init(PluginContext ctx, Map<String, String> extraConf) {
        HydragenMetrics.get().registerIn(ctx.metricRegistry());
        ExecutorEngines.attach(ctx);
        List<String> gpus = new ArrayList<>();
        ResourceInformation gpu = ctx.resources().get("gpu");
        if (gpu != null) gpus.addAll(Arrays.asList(gpu.addresses()));
        try {
            ctx.ask(new PluginMessages.ExecutorReady(ctx.executorID(), ctx.hostname(), ProcessHandle.current().pid(), gpus));
        } catch (Exception e) {
            throw new IllegalStateException("hydragen executor plugin could not reach the driver plugin", e);
        }
    }

    @Override
    public void shutdown() {
        ExecutorEngines.closeAll();
    }
}
