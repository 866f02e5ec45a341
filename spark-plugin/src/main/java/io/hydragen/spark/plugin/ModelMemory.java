package io.hydragen.spark.plugin;

import io.hydragen.backend.cpu.CpuDtype;
import io.hydragen.model.HfConfigReader;
import io.hydragen.model.ModelConfig;
import io.hydragen.model.SyntheticModels;
import io.hydragen.spark.model.ModelSpec;
import org.bytedeco.javacpp.Pointer;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Whether a model fits before it is loaded: its weights' bytes estimated from its config (the CPU engine holds the
 * weight matrices off the heap in the resolved {@code spark.hydragen.cpuDtype}: 4 bytes each in fp32, 2 in bf16), against the memory this executor can still allocate, so an executor that
 * cannot hold another model refuses with a message instead of dying of an out-of-memory error mid-load.
 */
public final class ModelMemory {
    private ModelMemory() {}

    /** The model's architecture from {@code synthetic:NAME} or the local directory's config.json; null if unreadable. */
    public static ModelConfig config(String localModel) {
        try {
            ModelSpec spec = new ModelSpec(localModel);
            if (spec.synthetic()) return SyntheticModels.config(spec.raw().substring(ModelSpec.SYNTHETIC_PREFIX.length()));
            return HfConfigReader.read(Path.of(localModel));
        } catch (RuntimeException e) {
            return null; // the engine's own load reports what is wrong with the model
        }
    }

    /** Weight parameters of a Llama-family model (embeddings, attention, MLP, norms, the LM head unless tied). */
    public static long parameters(ModelConfig c) {
        long h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), im = c.intermediateSize(), v = c.vocabSize();
        long perLayer = (q + 2 * kv) * h + h * q + 3 * im * h + 2 * h + (c.attentionBias() ? q + 2 * kv + h : 0);
        return v * h * (c.tieWordEmbeddings() ? 1 : 2) + c.numLayers() * perLayer + h;
    }

    /** Bytes the CPU engine's weights take in fp32: 4 for every parameter. */
    public static long cpuWeightBytes(ModelConfig c) { return cpuWeightBytes(c, CpuDtype.FP32); }

    /**
     * Bytes the CPU engine's weights take: the matrices in {@code dtype} (what {@link CpuDtype#resolve} makes of the
     * setting for this checkpoint), the norms and biases (vectors on the Java heap) in float32.
     */
    public static long cpuWeightBytes(ModelConfig c, CpuDtype dtype) {
        long h = c.hiddenSize();
        long vectors = c.numLayers() * (2 * h + (c.attentionBias() ? c.qDim() + 2L * c.kvDim() + h : 0)) + h;
        return (parameters(c) - vectors) * dtype.bytes() + vectors * Float.BYTES;
    }

    /**
     * Off-heap bytes this JVM may still allocate: JavaCPP's limits ({@code org.bytedeco.javacpp.maxBytes} and
     * {@code maxPhysicalBytes}; 0 = unlimited) and the machine's available physical memory, whichever is least.
     */
    public static long availableBytes() {
        long avail = Long.MAX_VALUE;
        long max = Pointer.maxBytes();
        if (max > 0) avail = Math.min(avail, max - Pointer.totalBytes());
        try {
            long maxPhysical = Pointer.maxPhysicalBytes();
            if (maxPhysical > 0) avail = Math.min(avail, maxPhysical - Pointer.physicalBytes());
            long system = Pointer.availablePhysicalBytes();
            if (system > 0) avail = Math.min(avail, system);
        } catch (Throwable e) {
            // JavaCPP's natives unavailable: its Java-side count above is all we know
        }
        if (avail == Long.MAX_VALUE) avail = Runtime.getRuntime().maxMemory() - usedHeap();
        return Math.max(0, avail);
    }

    /** The off-heap capacity memoryFraction refers to: JavaCPP's maxBytes, else the machine's physical memory. */
    public static long capacityBytes() {
        long max = Pointer.maxBytes();
        if (max > 0) return max;
        try {
            long total = Pointer.totalPhysicalBytes();
            if (total > 0) return total;
        } catch (Throwable e) {
            // fall through
        }
        return Runtime.getRuntime().maxMemory();
    }

    private static long usedHeap() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    /**
     * @throws IllegalStateException naming the model, both sizes and what to do, when {@code weightBytes} exceeds
     *                               {@code availableBytes}
     */
    public static void check(String model, long weightBytes, long availableBytes, String loaded) {
        if (weightBytes <= availableBytes) return;
        throw new IllegalStateException(String.format(Locale.ROOT,
                "not enough memory to load model %s: its weights need about %s, this executor has %s free (%s). "
                        + "Give executors more memory (spark.executor.memoryOverhead, and "
                        + "-Dorg.bytedeco.javacpp.maxBytes=0 in spark.executor.extraJavaOptions), keep fewer models "
                        + "(spark.hydragen.maxModelsPerExecutor), or set spark.hydragen.memoryCheck=false to try anyway",
                model, gib(weightBytes), gib(availableBytes), loaded));
    }

    static String gib(long bytes) { return String.format(Locale.ROOT, "%.2f GiB", bytes / (1024.0 * 1024 * 1024)); }
}
