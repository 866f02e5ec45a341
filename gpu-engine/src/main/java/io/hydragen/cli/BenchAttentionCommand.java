package io.hydragen.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.cpu.CpuAttentionBench;
import io.hydragen.backend.cpu.CpuDtype;
import io.hydragen.backend.cuda.AttentionBench;
import io.hydragen.backend.cuda.CudaBackend;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** One decode step of attention alone, Hydragen against per-sequence, on the CPU or a CUDA device. */
@Command(name = "bench-attention", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = {"Times one decode step of attention alone: B sequences sharing a P-token prefix, S tokens each of their own.",
                "Reports the median time per mode; on CUDA also the roofline time, max(KV bytes / bandwidth, FLOPs / tensor peak),",
                "with an H100's 3.0 TB/s and 790 TFLOP/s and with this device's own figures."})
final class BenchAttentionCommand implements Callable<Integer> {
    private final Console console;

    BenchAttentionCommand(Console console) { this.console = console; }

    @Option(names = "--backend", defaultValue = "cpu", paramLabel = "B", description = "cpu or cuda (default ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--device", defaultValue = "0", paramLabel = "N", description = "CUDA device ordinal (default ${DEFAULT-VALUE}).")
    int device;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "B", description = "Sequences sharing the prefix (default ${DEFAULT-VALUE}).") int batch;

    @Option(names = "--prefix-tokens", defaultValue = "4096", paramLabel = "P", description = "Tokens of the shared prefix (default ${DEFAULT-VALUE}).") int prefixTokens;

    @Option(names = "--suffix-tokens", defaultValue = "128", paramLabel = "S", description = "Tokens of each sequence's own suffix (default ${DEFAULT-VALUE}).") int suffixTokens;

    @Option(names = "--q-heads", defaultValue = "32", paramLabel = "H", description = "Query heads (default ${DEFAULT-VALUE}).") int qHeads;

    @Option(names = "--kv-heads", defaultValue = "8", paramLabel = "K", description = "Key/value heads (default ${DEFAULT-VALUE}).") int kvHeads;

    @Option(names = "--head-dim", defaultValue = "128", paramLabel = "D", description = "Head dimension (default ${DEFAULT-VALUE}).") int headDim;

    @Option(names = "--attention", defaultValue = "hydragen,per-sequence-shared-kv", split = ",", converter = AttentionModeConverter.class,
            description = "CPU modes to time (default ${DEFAULT-VALUE}; per-sequence copies the prefix per sequence).")
    List<AttentionMode> modes;

    @Option(names = "--kv-cache-dtype", defaultValue = "fp32", split = ",", paramLabel = "D",
            description = "CPU: KV cache types to time, each in turn in this process: fp32, bf16 or both (fp32,bf16) (default ${DEFAULT-VALUE}).")
    List<String> kvCacheDtypes;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "T", description = "CPU threads; 0 = all cores (default ${DEFAULT-VALUE}).") int threads;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "N", description = "Untimed runs first (default ${DEFAULT-VALUE}).") int warmup;

    @Option(names = "--reps", defaultValue = "10", paramLabel = "N", description = "Timed runs; the median is reported (default ${DEFAULT-VALUE}).") int reps;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to FILE.") Path json;

    @Override
    public Integer call() throws IOException {
        if (batch < 1 || prefixTokens < 1 || suffixTokens < 1 || qHeads < 1 || kvHeads < 1 || headDim < 2 || qHeads % kvHeads != 0 || reps < 1) {
            throw new UsageException("sizes must be positive and --q-heads a multiple of --kv-heads");
        }
        Map<String, Object> report = new LinkedHashMap<>();
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("backend", backend);
        settings.put("batch", batch);
        settings.put("prefix_tokens", prefixTokens);
        settings.put("suffix_tokens", suffixTokens);
        settings.put("q_heads", qHeads);
        settings.put("kv_heads", kvHeads);
        settings.put("head_dim", headDim);
        settings.put("date", Instant.now().toString());
        report.put("settings", settings);
        List<Map<String, Object>> rows = new ArrayList<>();
        PrintStream out = console.out();
        switch (backend) {
            case "cpu" -> {
                List<CpuDtype> kvs = new ArrayList<>();
                for (String d : kvCacheDtypes) {
                    try {
                        kvs.add(CpuDtype.resolveKvCache(d, CpuDtype.FP32));
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("--kv-cache-dtype: " + e.getMessage());
                    }
                }
                CpuAttentionBench.Shape s = new CpuAttentionBench.Shape(batch, prefixTokens, suffixTokens, qHeads, kvHeads, headDim);
                out.printf("cpu: batch %d, prefix %d, suffix %d, heads %d/%d, head_dim %d (one layer)%n", batch, prefixTokens, suffixTokens, qHeads, kvHeads, headDim);
                for (CpuAttentionBench.Result r : CpuAttentionBench.run(s, modes, kvs, threads, warmup, reps)) {
                    out.printf("  %-24s kv %-4s median %9.3f ms  (min %.3f, max %.3f)  %.1f GFLOP/s%n", r.mode(), r.kvDtype().cliName(),
                            r.medianMs(), r.minMs(), r.maxMs(), r.gflops());
                    rows.add(Map.of("mode", r.mode(), "kv_cache_dtype", r.kvDtype().cliName(), "median_ms", r.medianMs(), "min_ms", r.minMs(),
                            "max_ms", r.maxMs(), "gflops", r.gflops()));
                }
            }
            case "cuda" -> {
                String why = CudaBackend.unavailableReason(device);
                if (why != null) throw new UsageException("backend 'cuda' is not available: " + why);
                AttentionBench.Config c = new AttentionBench.Config(batch, prefixTokens, suffixTokens, qHeads, kvHeads, headDim);
                out.printf("cuda:%d: batch %d, prefix %d, suffix %d, heads %d/%d, head_dim %d (bf16), roofline %.3f ms%n",
                        device, batch, prefixTokens, suffixTokens, qHeads, kvHeads, headDim, c.rooflineMs());
                for (AttentionBench.Result r : AttentionBench.run(c, device, warmup, reps)) {
                    out.printf("  %-14s median %8.4f ms  (%.0f%% of roofline; %.0f%% of this device's roofline %.4f ms, bandwidth and peak"
                            + " from its attributes: memory clock x bus width x 2, SMs x clock x bf16 FLOP/clk)  %s%n", r.mode(), r.medianMs(),
                            100 * r.rooflineMs() / r.medianMs(), 100 * r.deviceRooflineMs() / r.medianMs(), r.deviceRooflineMs(), r.plan());
                    rows.add(Map.of("mode", r.mode(), "median_ms", r.medianMs(), "min_ms", r.minMs(), "max_ms", r.maxMs(), "roofline_ms", r.rooflineMs()));
                }
            }
            default -> throw new UsageException("--backend must be cpu or cuda, got '" + backend + "'");
        }
        report.put("results", rows);
        if (json != null) new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), report);
        return 0;
    }
}
