package io.hydragen.spark.plugin;

import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Enable with {@code spark.plugins=io.hydragen.spark.plugin.HydragenPlugin}. The executor side keeps one engine per
 * model per executor JVM and publishes generation metrics; the driver side records which executors loaded what.
 * Generation also works without the plugin (engines are then created on first use and metrics stay unpublished).
 */
public final class HydragenPlugin implements SparkPlugin {
    @Override
    public DriverPlugin driverPlugin() { return new HydragenDriverPlugin(); }

    @Override
    public ExecutorPlugin executorPlugin() { return new HydragenExecutorPlugin(); }
}
