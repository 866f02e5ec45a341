package io.hydragen.spark.plugin;

/**
 * What makes two loaded models different: the model and where it runs. Per-call settings (batch size, samples,
 * attention mode, minimum shared tokens) are not part of it: they are the engine's per-call
 * {@link io.hydragen.generate.BatchOptions}, so tasks with different settings share one copy of the weights.
 */
public record ModelKey(String model, String backend, int deviceOrdinal) {}
