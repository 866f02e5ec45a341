package io.hydragen.backend.cpu;

import java.util.Locale;

/**
 * How the CPU backend stores the weights of its matrix products: {@code fp32}, or {@code bf16} (half the bytes; the
 * AVX512_BF16 kernel rounds the activations to bf16 too and accumulates in fp32). The setting {@code auto} takes bf16
 * when the checkpoint is stored in bf16 (so no weight is rounded: only the activations are) and the kernel runs on this
 * CPU, else fp32; {@code bf16} forces it for any checkpoint (fp32 and fp16 weights are then rounded, and without the
 * kernel bf16 weights are widened panel by panel for SGEMM: the memory saving without the speed); {@code fp32} forces
 * fp32 (a bf16 checkpoint is then widened, as before).
 */
public enum CpuDtype {
    FP32, BF16;

    /** The setting's values, as the CLI, the Spark conf and {@code EngineOptions} spell them. */
    public static final String SETTINGS = "auto, fp32, bf16";

    /**
     * @param checkpoint the dtype the checkpoint's config declares
     * @throws IllegalArgumentException for a value other than auto, fp32, bf16 (case-insensitive); null means auto
     */
    public static CpuDtype resolve(String setting, io.hydragen.model.DType checkpoint) {
        String s = setting == null ? "auto" : setting.strip().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "auto" -> checkpoint == io.hydragen.model.DType.BF16 && Bf16Native.available() ? BF16 : FP32;
            case "fp32", "float32" -> FP32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("unknown CPU dtype '" + setting + "' (" + SETTINGS + ")");
        };
    }

    /**
     * The KV cache's storage, as vLLM's {@code kv_cache_dtype}: {@code auto} follows the weights (bf16 KV exactly when
     * the weights resolved to bf16, so fp32 runs stay fp32 throughout); {@code fp32} or {@code bf16} force it (bf16 KV
     * halves the cache and the bytes attention reads; keys and values are rounded to nearest even when written).
     *
     * @param weights the weights' resolved dtype ({@link #resolve})
     * @throws IllegalArgumentException for a value other than auto, fp32, bf16 (case-insensitive); null means auto
     */
    public static CpuDtype resolveKvCache(String setting, CpuDtype weights) {
        String s = setting == null ? "auto" : setting.strip().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "auto" -> weights;
            case "fp32", "float32" -> FP32;
            case "bf16", "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("unknown KV cache dtype '" + setting + "' (" + SETTINGS + ")");
        };
    }

    /** Why {@code auto} resolves to fp32 here, or null when it takes bf16. */
    public static String whyNotBf16() { return Bf16Native.unavailableReason(); }

    public String cliName() { return name().toLowerCase(Locale.ROOT); }

    /** "float32" or "bfloat16", for messages. */
    String longName() { return this == BF16 ? "bfloat16" : "float32"; }

    /** Bytes per stored value. */
    public int bytes() { return this == BF16 ? 2 : 4; }
}
