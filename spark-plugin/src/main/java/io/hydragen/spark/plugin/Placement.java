package io.hydragen.spark.plugin;

import io.hydragen.spark.api.GenerateOptions;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Which device a task's engine runs on: the GPU Spark's resource scheduling gave the task
 * ({@code spark.task.resource.gpu.amount} / the task's {@code gpu} resource), or the CPU where it gave none.
 *
 * @param backend passed to the engine: {@code auto} with a GPU (the engine falls back to the CPU when CUDA cannot
 *                start, with a warning: {@link ExecutorEngines}), {@code cpu} without one, or what the user forced
 * @param deviceOrdinal the CUDA device: the task's GPU address ({@code "1"} gives device 1)
 * @param taskGpu the GPU address Spark assigned the task, or null when it assigned none
 */
public record Placement(String backend, int deviceOrdinal, String taskGpu) {

    /** Placement for the calling task; outside a task (driver-side tests), the CPU unless the user forced a backend. */
    public static Placement forCurrentTask(GenerateOptions o) {
        return decide(o.backend(), taskGpuAddress());
    }

    /** The decision for a requested backend and the task's GPU address (null: none assigned). */
    static Placement decide(String requested, String address) {
        Integer gpu = ordinal(address);
        return switch (requested) {
            case "cpu" -> new Placement("cpu", 0, address);
            case "cuda" -> new Placement("cuda", gpu == null ? 0 : gpu, address);
            default -> gpu == null ? new Placement("cpu", 0, null) : new Placement("auto", gpu, address);
        };
    }

    /** The first address of the calling task's {@code gpu} resource, or null (no task, or no GPU assigned). */
    static String taskGpuAddress() {
        TaskContext tc = TaskContext.get();
        if (tc == null) return null;
        ResourceInformation gpu = tc.resources().get("gpu").getOrElse(() -> null);
        if (gpu == null || gpu.addresses().length == 0) return null;
        return gpu.addresses()[0].trim();
    }

    private static Integer ordinal(String address) {
        if (address == null) return null;
        try {
            return Integer.parseInt(address);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("the task's gpu resource address '" + address
                    + "' is not a device ordinal; check spark.executor.resource.gpu.discoveryScript");
        }
    }
}
