package io.hydragen.spark.plugin;

import io.hydragen.spark.api.GenerateOptions;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Which device a task's engine runs on: the GPU Spark's resource scheduling gave the task
 * ({@code spark.task.resource.gpu.amount} / the task's {@code gpu} resource), or the CPU where it gave none.
 *
 * @param backend passed to the engine: {@code auto} with a GPU (the engine falls back to the CPU when CUDA cannot
 *                start), {@code cpu} without one, or what the user forced
 */
public record Placement(String backend, int deviceOrdinal) {

    /** Placement for the calling task; outside a task (driver-side tests), the CPU unless the user forced a backend. */
    public static Placement forCurrentTask(GenerateOptions o) {
        Integer gpu = assignedGpu();
        return switch (o.backend()) {
            case "cpu" -> new Placement("cpu", 0);
            case "cuda" -> new Placement("cuda", gpu == null ? 0 : gpu);
            default -> gpu == null ? new Placement("cpu", 0) : new Placement("auto", gpu);
        };
    }

    private static Integer assignedGpu() {
        TaskContext tc = TaskContext.get();
        if (tc == null) return null;
        ResourceInformation gpu = tc.resources().get("gpu").getOrElse(() -> null);
        if (gpu == null || gpu.addresses().length == 0) return null;
        try {
            return Integer.parseInt(gpu.addresses()[0].trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException("the task's gpu resource address '" + gpu.addresses()[0]
                    + "' is not a device ordinal; check spark.executor.resource.gpu.discoveryScript");
        }
    }
}
