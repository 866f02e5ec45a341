package io.hydragen.cli;

import io.hydragen.backend.cpu.CpuDtype;
import java.util.List;

import io.hydragen.generate.EngineOptions;
import picocli.CommandLine.Option;

import java.math.BigDecimal;
import java.util.Locale;

/** Where a command's engine runs: the options {@code generate} and {@code bench} share (a picocli mixin). */
final class BackendOptions {
    @Option(names = "--backend", defaultValue = "auto", paramLabel = "B", description = "auto, cpu or cuda (default ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--device", defaultValue = "0", paramLabel = "N", description = "CUDA device ordinal (default ${DEFAULT-VALUE}).")
    int device;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "T", description = "CPU threads; 0 = all cores (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--kv-budget", defaultValue = "none", paramLabel = "SIZE",
            description = "Most KV cache one batch may hold: bytes, or with a k, m, g or t suffix (512m, 2g, 1.5g; binary units); "
                    + "larger request lists run in sub-batches that fit, and a sample that cannot fit alone gets an error row. "
                    + "'auto' = 80%% of the memory available at each call; 'none' or 0 = no budget (default ${DEFAULT-VALUE}).")
    String kvBudget;

    @Option(names = "--cpu-dtype", defaultValue = "auto", split = ",", paramLabel = "D",
            description = "CPU backend weights: auto (bf16 for a bf16 checkpoint on a CPU with AVX512_BF16, else fp32), fp32 or bf16 (default ${DEFAULT-VALUE}); "
                    + "bench takes a list (fp32,bf16) and runs each in turn.")
    List<String> cpuDtypes = List.of(EngineOptions.AUTO_CPU_DTYPE);

    @Option(names = "--kv-cache-dtype", defaultValue = "auto", paramLabel = "D",
            description = "CPU backend KV cache: auto (as the weights: bf16 KV exactly when --cpu-dtype resolves to bf16), fp32 or bf16 "
                    + "(half the KV memory and bytes read; keys and values rounded to bf16) (default ${DEFAULT-VALUE}).")
    String kvCacheDtype = EngineOptions.AUTO_KV_CACHE_DTYPE;

    /** @param dtypeList whether --cpu-dtype may name several (bench) */
    void check(boolean dtypeList) {
        if (threads < 0) throw new UsageException("--threads must be >= 0, got " + threads);
        kvBudgetBytes();
        if (cpuDtypes.isEmpty() || (!dtypeList && cpuDtypes.size() > 1)) throw new UsageException("--cpu-dtype takes one of " + CpuDtype.SETTINGS);
        for (String d : cpuDtypes) {
            try {
                CpuDtype.resolve(d, io.hydragen.model.DType.F32);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--cpu-dtype: " + e.getMessage());
            }
        }
        try {
            CpuDtype.resolveKvCache(kvCacheDtype, CpuDtype.FP32);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--kv-cache-dtype: " + e.getMessage());
        }
    }

    void check() { check(false); }

    /** The options with the first --cpu-dtype. */
    EngineOptions applyTo(EngineOptions o) {
        return o.withBackend(backend).withDevice(device).withThreads(threads).withKvBudgetBytes(kvBudgetBytes()).withCpuDtype(cpuDtypes.get(0))
                .withKvCacheDtype(kvCacheDtype);
    }

    long kvBudgetBytes() {
        try {
            return parseSize(kvBudget);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--kv-budget: " + e.getMessage());
        }
    }

    /**
     * {@code none} or {@code 0} → 0 (no budget), {@code auto} → {@link EngineOptions#AUTO_KV_BUDGET}, else a byte
     * count with an optional binary suffix k, m, g or t (optionally followed by b or ib), decimals allowed.
     */
    static long parseSize(String text) {
        if (text == null) return 0;
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("none")) return 0;
        if (t.equals("auto")) return EngineOptions.AUTO_KV_BUDGET;
        String digits = t.endsWith("ib") ? t.substring(0, t.length() - 2) : t.endsWith("b") ? t.substring(0, t.length() - 1) : t;
        int shift = 0;
        if (!digits.isEmpty()) {
            switch (digits.charAt(digits.length() - 1)) {
                case 'k' -> shift = 10;
                case 'm' -> shift = 20;
                case 'g' -> shift = 30;
                case 't' -> shift = 40;
                default -> shift = -1;
            }
            if (shift >= 0) digits = digits.substring(0, digits.length() - 1);
            else shift = 0;
        }
        if (!digits.matches("[0-9]+(\\.[0-9]+)?|\\.[0-9]+")) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 1073741824, 512m, 2g, auto, none)");
        }
        BigDecimal bytes = new BigDecimal(digits).multiply(BigDecimal.valueOf(1L << shift));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) throw new IllegalArgumentException("'" + text + "' is too large");
        long b = bytes.longValue();
        if (b == 0 && bytes.signum() > 0) throw new IllegalArgumentException("'" + text + "' is less than one byte");
        return b;
    }
}
