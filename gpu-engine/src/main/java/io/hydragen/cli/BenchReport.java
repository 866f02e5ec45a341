package io.hydragen.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.Map;

/**
 * What {@code hydragen bench} writes to {@code --json}: the settings, the machine, its SGEMM rate measured in the
 * same run, and per attention mode (keyed by its CLI name) what the engine measured.
 *
 * @param threads the CPU threads the backend actually used
 * @param sgemmGflops SGEMM GFLOP/s of the CPU backend at {@code sgemmSize}³, or null on another backend
 * @param bf16GemmGflops the same product on the AVX512_BF16 kernel, or null when no bf16 run used it
 * @param speedup null unless both hydragen and per-sequence ran
 * @param sameTokens fraction of sequences whose hydragen tokens equal their per-sequence tokens, or null
 * @param continuousVs generated tokens/s of {@code continuous} over each other {@code --scheduler} entry's (e.g. the
 *                     equal-length reference {@code static@fixed:128}), or null
 */
@JsonPropertyOrder({"model", "batch", "prefix_tokens", "suffix_tokens", "new_tokens", "warmup_tokens", "backend", "threads",
        "machine", "sgemm_gflops", "bf16_gemm_gflops", "sgemm_size", "results", "speedup", "same_tokens_hydragen_per_sequence", "attention", "rows", "prefix_groups", "max_new_tokens_dist",
        "schedulers", "continuous_vs_static", "continuous_vs", "same_tokens_static_continuous", "command"})
@JsonInclude(JsonInclude.Include.NON_NULL)
record BenchReport(
        @JsonProperty("model") String model,
        @JsonProperty("batch") int batch,
        @JsonProperty("prefix_tokens") int prefixTokens,
        @JsonProperty("suffix_tokens") int suffixTokens,
        @JsonProperty("new_tokens") int newTokens,
        @JsonProperty("warmup_tokens") int warmupTokens,
        @JsonProperty("backend") String backend,
        @JsonProperty("threads") int threads,
        @JsonProperty("machine") Machine machine,
        @JsonProperty("sgemm_gflops") Double sgemmGflops,
        @JsonProperty("bf16_gemm_gflops") Double bf16GemmGflops,
        @JsonProperty("sgemm_size") int sgemmSize,
        @JsonProperty("results") Map<String, ModeResult> results,
        @JsonProperty("speedup") Speedup speedup,
        @JsonProperty("same_tokens_hydragen_per_sequence") Double sameTokens,
        @JsonProperty("attention") String attention,
        @JsonProperty("rows") Integer rows,
        @JsonProperty("prefix_groups") Integer prefixGroups,
        @JsonProperty("max_new_tokens_dist") String maxNewTokensDist,
        @JsonProperty("schedulers") Map<String, SchedulerResult> schedulers,
        @JsonProperty("continuous_vs_static") Double continuousVsStatic,
        @JsonProperty("continuous_vs") Map<String, Double> continuousVs,
        @JsonProperty("same_tokens_static_continuous") Double sameTokensSchedulers,
        @JsonProperty("command") String command) {

    /** The attention-mode benchmark (no --scheduler): the scheduler fields are null and left out. */
    BenchReport(String model, int batch, int prefixTokens, int suffixTokens, int newTokens, int warmupTokens, String backend,
                int threads, Machine machine, Double sgemmGflops, Double bf16GemmGflops, int sgemmSize, Map<String, ModeResult> results,
                Speedup speedup, Double sameTokens, String command) {
        this(model, batch, prefixTokens, suffixTokens, newTokens, warmupTokens, backend, threads, machine, sgemmGflops, bf16GemmGflops, sgemmSize,
                results, speedup, sameTokens, null, null, null, null, null, null, null, null, command);
    }

    /**
     * One scheduler's run over the whole stream of rows (--scheduler).
     *
     * @param generatedTokensPerS every generated token over the whole wall time, prefill included
     * @param decodeTokensPerS tokens of decode steps over the time of decode steps
     * @param meanRunningSequences rows per decode step, averaged over the steps
     * With {@code --rounds K}: rates, {@code wall_s}, {@code prefill_s} and {@code decode_s} over all K rounds; the counts
     * ({@code rows} to {@code decode_steps}) those of one round, the same work each time.
     */
    @JsonPropertyOrder({"generated_tokens_per_s", "decode_tokens_per_s", "mean_running_sequences", "wall_s", "prefill_s", "decode_s",
            "rows", "prompt_tokens", "prefilled_tokens", "shared_prompt_tokens", "generated_tokens", "decode_tokens", "decode_steps"})
    record SchedulerResult(
            @JsonProperty("generated_tokens_per_s") double generatedTokensPerS,
            @JsonProperty("decode_tokens_per_s") double decodeTokensPerS,
            @JsonProperty("mean_running_sequences") double meanRunningSequences,
            @JsonProperty("wall_s") double wallS,
            @JsonProperty("prefill_s") double prefillS,
            @JsonProperty("decode_s") double decodeS,
            @JsonProperty("rows") int rows,
            @JsonProperty("prompt_tokens") long promptTokens,
            @JsonProperty("prefilled_tokens") long prefilledTokens,
            @JsonProperty("shared_prompt_tokens") long sharedPromptTokens,
            @JsonProperty("generated_tokens") long generatedTokens,
            @JsonProperty("decode_tokens") long decodeTokens,
            @JsonProperty("decode_steps") int decodeSteps) {}

    /** Where the numbers were taken. @param date ISO-8601 with offset */
    @JsonPropertyOrder({"cores", "cpu", "os", "java", "date"})
    record Machine(
            @JsonProperty("cores") int cores,
            @JsonProperty("cpu") String cpu,
            @JsonProperty("os") String os,
            @JsonProperty("java") String java,
            @JsonProperty("date") String date) {}

    /** One attention mode's run over the batch (timings from the engine's {@code BatchStats}). */
    @JsonPropertyOrder({"decode_tokens_per_s", "prefill_s", "decode_s", "prompt_tokens", "prefilled_tokens",
            "shared_prompt_tokens", "generated_tokens", "decode_tokens", "decode_steps", "matmul", "decode_gflops", "decode_profile"})
    record ModeResult(
            @JsonProperty("decode_tokens_per_s") double decodeTokensPerS,
            @JsonProperty("prefill_s") double prefillS,
            @JsonProperty("decode_s") double decodeS,
            @JsonProperty("prompt_tokens") long promptTokens,
            @JsonProperty("prefilled_tokens") long prefilledTokens,
            @JsonProperty("shared_prompt_tokens") long sharedPromptTokens,
            @JsonProperty("generated_tokens") long generatedTokens,
            @JsonProperty("decode_tokens") long decodeTokens,
            @JsonProperty("decode_steps") int decodeSteps,
            @JsonProperty("matmul") @JsonInclude(JsonInclude.Include.NON_NULL) String matmul,
            @JsonProperty("decode_gflops") double decodeGflops,
            @JsonProperty("decode_profile") @JsonInclude(JsonInclude.Include.NON_NULL) BenchProfile decodeProfile) {}

    /** Decode tokens/s ratios. */
    record Speedup(@JsonProperty("hydragen_vs_per_sequence") double hydragenVsPerSequence) {}
}
