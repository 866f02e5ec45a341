package io.hydragen.spark.plugin;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The driver's record of what the executors reported: which executors run the plugin and which models each loaded.
 * Logged for operators, and read by tests to check that a model is loaded once per executor.
 */
public final class DriverRegistry {
    private static final List<PluginMessages.ExecutorReady> EXECUTORS = new CopyOnWriteArrayList<>();
    private static final List<PluginMessages.ModelLoaded> LOADS = new CopyOnWriteArrayList<>();
    private static final List<PluginMessages.TaskPlaced> PLACEMENTS = new CopyOnWriteArrayList<>();

    private DriverRegistry() {}

    public static List<PluginMessages.ExecutorReady> executors() { return List.copyOf(EXECUTORS); }

    public static List<PluginMessages.ModelLoaded> modelLoads() { return List.copyOf(LOADS); }

    static void add(PluginMessages.ExecutorReady m) { EXECUTORS.add(m); }

    static void add(PluginMessages.ModelLoaded m) { LOADS.add(m); }

    /** Where executors placed task engines: task GPU address, device ordinal, engine backend, CPU-fallback warning. */
    public static List<PluginMessages.TaskPlaced> placements() { return List.copyOf(PLACEMENTS); }

    static void add(PluginMessages.TaskPlaced m) { PLACEMENTS.add(m); }

    /** Forgets everything: called when a new driver plugin starts (a new SparkContext in this JVM). */
    static void clear() {
        EXECUTORS.clear();
        LOADS.clear();
        PLACEMENTS.clear();
    }
}
