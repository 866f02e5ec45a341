package io.hydragen.spark.plugin;

import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/** Driver side of {@link HydragenPlugin}: receives executors' reports into {@link DriverRegistry}. */
public final class HydragenDriverPlugin implements DriverPlugin {
    private static final Logger LOG = LoggerFactory.getLogger(HydragenDriverPlugin.class);

    @Override
    public Map<String, String> init(SparkContext sc, PluginContext ctx) {
        DriverRegistry.clear();
        EngineTotals.reset();
        HydragenConf.warnUnknown(sc.conf());
        return Map.of();
    }

    @Override
    public Object receive(Object message) {
        if (message instanceof PluginMessages.ExecutorReady m) {
            DriverRegistry.add(m);
            LOG.info("hydragen plugin ready on executor {} ({}, pid {}, gpus {})", m.executorId(), m.host(), m.pid(), m.gpus());
        } else if (message instanceof PluginMessages.ModelLoaded m) {
            DriverRegistry.add(m);
            LOG.info("executor {} loaded model {} on {} in {} ms", m.executorId(), m.model(), m.backend(), m.loadMillis());
        } else if (message instanceof PluginMessages.BatchDone m) {
            EngineTotals.add(m);
        } else if (message instanceof PluginMessages.TaskPlaced m) {
            DriverRegistry.add(m);
            LOG.info("executor {} placed an engine: task gpu {}, backend {}, device {}, running on {}", m.executorId(),
                    m.taskGpu(), m.backend(), m.deviceOrdinal(), m.engineBackend());
            if (m.warning() != null) LOG.warn("executor {}: {}", m.executorId(), m.warning());
        } else {
            throw new IllegalArgumentException("unknown plugin message " + message);
        }
        return Boolean.TRUE;
    }
}
