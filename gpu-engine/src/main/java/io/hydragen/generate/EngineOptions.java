package io.hydragen.generate;

import io.hydragen.attention.AttentionMode;

/**
 * How an {@link Engine} is set up.
 *
 * @param model a Hugging Face model directory or {@code synthetic:NAME}
 * @param backend {@code auto}, {@code cpu} or {@code cuda}
 * @param deviceOrdinal the CUDA device to use (Spark passes the GPU it assigned the executor)
 * @param minSharedTokens a trie node shared by two or more sequences becomes a shared KV segment from this length on
 * @param threads CPU threads for the CPU backend (0 = all cores)
 * @param maxBatchSequences most sequences decoded together; larger request lists run in several batches
 * @param prefixCacheTokens prompt-start KV kept across calls, in tokens (0 = none), so a prefix repeated in a later
 *                          call (ad-hoc completions, a large group split over batches) is copied, not prefilled again
 * @param kvBudgetBytes most bytes of KV cache one batch may hold: the engine splits a request list into sub-batches
 *                      whose planned KV fits (each shared segment counted once, plus each sample's
 *                      min(max_new_tokens, context - prompt) generation slots, times {@link
 *                      io.hydragen.backend.Backend#kvBytesPerToken()}), and a sample that cannot fit even alone gets an
 *                      error row. 0 = no budget; negative ({@link #AUTO_KV_BUDGET}) = automatic: before each call,
 *                      {@link #AUTO_KV_FRACTION} of the memory the backend reports available then (CPU: JavaCPP's
 *                      maxBytes less its allocations, at most the free physical memory; CUDA: free device memory).
 *                      Activations, weights and the prefix cache are not part of it. With or without a budget, a batch
 *                      whose allocation still fails is retried in halves, and a sample failing alone gets an error row.
 * @param cpuDtype how the CPU backend stores and multiplies its weights: {@code auto} (bf16 for a checkpoint stored in
 *                 bf16 where this CPU has AVX512_BF16 and the engine's kernel loaded, else fp32), {@code fp32} or
 *                 {@code bf16}; see
 *                 {@link io.hydragen.backend.cpu.CpuDtype}
 * @param kvCacheDtype how the CPU backend stores its KV cache: {@code auto} (as the weights resolved), {@code fp32} or
 *                     {@code bf16}; see {@link io.hydragen.backend.cpu.CpuDtype#resolveKvCache}
 */
public record EngineOptions(String model, String backend, int deviceOrdinal, AttentionMode attention,
                            int minSharedTokens, int threads, int maxBatchSequences, int prefixCacheTokens,
                            long kvBudgetBytes, String cpuDtype, String kvCacheDtype) {

    /** {@link #kvCacheDtype}'s default. */
    public static final String AUTO_KV_CACHE_DTYPE = "auto";

    public EngineOptions(String model, String backend, int deviceOrdinal, AttentionMode attention, int minSharedTokens,
                         int threads, int maxBatchSequences, int prefixCacheTokens, long kvBudgetBytes, String cpuDtype) {
        this(model, backend, deviceOrdinal, attention, minSharedTokens, threads, maxBatchSequences, prefixCacheTokens, kvBudgetBytes, cpuDtype, AUTO_KV_CACHE_DTYPE);
    }

    /** {@link #cpuDtype}'s default. */
    public static final String AUTO_CPU_DTYPE = "auto";

    public EngineOptions(String model, String backend, int deviceOrdinal, AttentionMode attention, int minSharedTokens,
                         int threads, int maxBatchSequences, int prefixCacheTokens, long kvBudgetBytes) {
        this(model, backend, deviceOrdinal, attention, minSharedTokens, threads, maxBatchSequences, prefixCacheTokens, kvBudgetBytes, AUTO_CPU_DTYPE);
    }

    /** {@link #kvBudgetBytes}: derive the budget from the memory available before each call. */
    public static final long AUTO_KV_BUDGET = -1;

    /** Share of the available memory an automatic KV budget takes; the rest is left to activations and workspace growth. */
    public static final double AUTO_KV_FRACTION = 0.8;

    public EngineOptions(String model, String backend, int deviceOrdinal, AttentionMode attention, int minSharedTokens,
                         int threads, int maxBatchSequences) {
        this(model, backend, deviceOrdinal, attention, minSharedTokens, threads, maxBatchSequences, 0, 0L);
    }

    public static EngineOptions of(String model) {
        return new EngineOptions(model, "auto", 0, AttentionMode.HYDRAGEN, 16, 0, 256, 0, 0L);
    }

    public EngineOptions withBackend(String b) { return new EngineOptions(model, b, deviceOrdinal, attention, minSharedTokens, threads, maxBatchSequences, prefixCacheTokens, kvBudgetBytes, cpuDtype, kvCacheDtype); }

    public EngineOptions withDevice(int d) { return new EngineOptions(model, backend, d, attention, minSharedTokens, threads, maxBatchSequences, prefixCacheTokens, kvBudgetBytes, cpuDtype, kvCacheDtype); }

    public EngineOptions withAttention(AttentionMode a) { return new EngineOptions(model, backend, deviceOrdinal, a, minSharedTokens, threads, maxBatchSequences, prefixCacheTokens, kvBudgetBytes, cpuDtype, kvCacheDtype); }

    public EngineOptions withMinSharedTokens(int m) { return new EngineOptions(model, backend, deviceOrdinal, attention, m, threads, maxBatchSequences, prefixCacheTokens, kvBudgetBytes, cpuDtype, kvCacheDtype); }

    public EngineOptions withThreads(int t) { return new EngineOptions(model, backend, deviceOrdinal, attention, minSharedTokens, t, maxBatchSequences, prefixCacheTokens, kvBudgetBytes, cpuDtype, kvCacheDtype); }

    public EngineOptions withMaxBatchSequences(int b) { return new EngineOptions(model, backend, deviceOrdinal, attention, minSharedTokens, threads, b, prefixCacheTokens, kvBudgetBytes, cpuDtype, kvCacheDtype); }

    public EngineOptions withPrefixCacheTokens(int n) { return new EngineOptions(model, backend, deviceOrdinal, attention, minSharedTokens, threads, maxBatchSequences, n, kvBudgetBytes, cpuDtype, kvCacheDtype); }

    public EngineOptions withKvBudgetBytes(long b) { return new EngineOptions(model, backend, deviceOrdinal, attention, minSharedTokens, threads, maxBatchSequences, prefixCacheTokens, b, cpuDtype, kvCacheDtype); }

    public EngineOptions withCpuDtype(String d) { return new EngineOptions(model, backend, deviceOrdinal, attention, minSharedTokens, threads, maxBatchSequences, prefixCacheTokens, kvBudgetBytes, d, kvCacheDtype); }

    public EngineOptions withKvCacheDtype(String d) { return new EngineOptions(model, backend, deviceOrdinal, attention, minSharedTokens, threads, maxBatchSequences, prefixCacheTokens, kvBudgetBytes, cpuDtype, d); }

    /** The per-call batching defaults these options give ({@link Engine#generate(java.util.List, ProgressListener)}). */
    public BatchOptions batchOptions() { return new BatchOptions(attention, minSharedTokens, maxBatchSequences); }
}
