package io.hydragen.spark.plugin;

import java.io.Serializable;
import java.util.List;

/** What executors tell the driver plugin (over Spark's plugin RPC, Java-serialized). */
public final class PluginMessages {
    private PluginMessages() {}

    /** An executor's plugin started. */
    public record ExecutorReady(String executorId, String host, long pid, List<String> gpus) implements Serializable {}

    /** An executor loaded a model into a new engine (once per executor and {@link ModelKey}, until evicted). */
    public record ModelLoaded(String executorId, String model, String backend, long loadMillis) implements Serializable {}

    /**
     * An executor finished one engine call: the engine's own counts ({@code promptTokens}: of the rows answered, not
     * of error rows), and its error rows' messages with how many rows got each (the driver sums them into
     * {@link EngineTotals}).
     */
    public record BatchDone(String executorId, long rows, long samples, long errorRows, long promptTokens,
                            long sharedPromptTokens, long prefilledTokens, long generatedTokens,
                            java.util.Map<String, Long> errors) implements Serializable {}

    /**
     * Where an executor placed a task's engine (sent once per executor and distinct decision): the GPU address Spark
     * assigned the task (null: none), the backend asked of the engine and the device ordinal chosen from that
     * address, the backend the engine runs on, and the warning when CUDA could not start and the CPU runs instead.
     */
    public record TaskPlaced(String executorId, String taskGpu, String backend, int deviceOrdinal, String engineBackend,
                             String warning) implements Serializable {}
}
