package io.hydragen.backend.cuda;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One decode step of attention alone on the GPU, Hydragen and per-sequence, for comparing with the anchors of
 * ../shared/device/README.md: B sequences sharing a P-token prefix, S tokens of their own each, Hq query heads,
 * Hk KV heads, head dimension D, bf16, one layer. The KV holds random values (zeros can run faster than real
 * data). Reported: the median device time of the step (partial-slot reset, attention kernels, merge) and the
 * roofline as that README defines it.
 *
 * <pre>java -cp '.device/lib/*' io.hydragen.backend.cuda.AttentionBench --batch 256 --prefix-tokens 16384 \
 *     --suffix-tokens 128 --q-heads 32 --kv-heads 8 --head-dim 128 [--device 0] [--json out.json]</pre>
 */
public final class AttentionBench {
    /** HBM bandwidth and dense bf16 tensor rate the README's roofline uses (H100). */
    static final double BANDWIDTH = 3.0e12, TENSOR_FLOPS = 790e12;

    public record Config(int batch, int prefixTokens, int suffixTokens, int qHeads, int kvHeads, int headDim) {
        AttentionShape shape() { return new AttentionShape(qHeads, kvHeads, headDim); }

        /** Bytes that must move: the shared KV once and each sequence's own KV once (bf16 K and V). */
        public double bytes() {
            return 2.0 * 2 * kvHeads * headDim * ((double) prefixTokens + (double) batch * suffixTokens);
        }

        /** FLOPs of QKᵀ and PV over every visible key of every query head. */
        public double flops() { return 4.0 * batch * qHeads * ((double) prefixTokens + suffixTokens) * headDim; }

        /** The README's roofline in milliseconds: max(bytes / 3.0 TB/s, FLOPs / 790 TFLOP/s). */
        public double rooflineMs() { return 1e3 * Math.max(bytes() / BANDWIDTH, flops() / TENSOR_FLOPS); }
    }

    /**
     * @param rooflineMs the README's roofline (H100 constants); deviceRooflineMs the same from this device's own
     *                   bandwidth and peak ({@link DevicePeaks}, whose source the output states)
     */
    public record Result(String mode, double medianMs, double minMs, double maxMs, double rooflineMs, double deviceRooflineMs,
                         String plan) {}

    /** Runs both modes on device {@code ordinal}; the device and kernels must be usable. */
    public static List<Result> run(Config c, int ordinal, int warmup, int reps) {
        List<Result> out = new ArrayList<>();
        try (CudaDevice dev = CudaDevice.open(ordinal); KernelLibrary lib = KernelLibrary.load(dev)) {
            AttentionShape s = c.shape();
            DevicePeaks peaks = dev.peaks();
            double deviceRoofline = peaks.rooflineMs(c.bytes(), c.flops());
            List<CudaKvSegment> segs = new ArrayList<>();
            try {
                Random rnd = new Random(1);
                CudaKvSegment prefix = filled(dev, s, c.prefixTokens(), rnd);
                segs.add(prefix);
                List<CudaKvSegment> own = new ArrayList<>();
                for (int b = 0; b < c.batch(); b++) {
                    CudaKvSegment o = filled(dev, s, c.suffixTokens(), rnd);
                    segs.add(o);
                    own.add(o);
                }
                AttentionPlanner planner = new AttentionPlanner(s, dev.info().multiprocessors(),
                        CudaBackend.tileResidentPerSm(lib, s), true);
                AttentionRunner runner = new AttentionRunner(lib, s);
                try (DeviceBuffer q = randomBf16(dev, (long) c.batch() * s.numQHeads() * s.headDim(), rnd);
                     DeviceBuffer o = DeviceBuffer.allocate(dev, 2L * c.batch() * s.numQHeads() * s.headDim(), "attention output");
                     CudaTimer timer = new CudaTimer(dev)) {
                    for (String mode : new String[] {"hydragen", "per-sequence"}) {
                        List<AttentionPlanner.Block> blocks = new ArrayList<>();
                        int[] all = new int[c.batch()], full = new int[c.batch()];
                        for (int b = 0; b < c.batch(); b++) { all[b] = b; full[b] = c.prefixTokens(); }
                        if (mode.equals("hydragen")) blocks.add(new AttentionPlanner.Block(List.of(prefix.ref()), all, full));
                        for (int b = 0; b < c.batch(); b++) {
                            List<SegmentRef> path = mode.equals("hydragen") ? List.of(own.get(b).ref())
                                    : List.of(prefix.ref(), own.get(b).ref());
                            blocks.add(new AttentionPlanner.Block(path, new int[] {b}, new int[] {c.suffixTokens()}));
                        }
                        AttentionPlan plan = planner.plan(blocks, c.batch());
                        long[] tb = AttentionRunner.tableBytes(plan, s);
                        List<DeviceBuffer> bufs = new ArrayList<>();
                        try {
                            for (long n : tb) bufs.add(DeviceBuffer.allocate(dev, n, "attention tables"));
                            AttentionRunner.Tables t = new AttentionRunner.Tables(bufs.get(0), bufs.get(1), bufs.get(2), bufs.get(3),
                                    bufs.get(4), bufs.get(5), bufs.get(6), bufs.get(7));
                            t.upload(plan);
                            float[] ms = timer.median(() -> runner.run(plan, t, q, 0, o, null), warmup, reps);
                            out.add(new Result(mode, ms[0], ms[1], ms[2], c.rooflineMs(), deviceRoofline,
                                    plan + ", " + String.format("%.2f", planner.waves(plan)) + " waves of " + planner.waveSlots() + " tile blocks"));
                        } finally {
                            for (DeviceBuffer b : bufs) b.close();
                        }
                    }
                }
            } finally {
                for (CudaKvSegment seg : segs) seg.close();
            }
        }
        return out;
    }

    private static CudaKvSegment filled(CudaDevice dev, AttentionShape s, int tokens, Random rnd) {
        CudaKvSegment seg = CudaKvSegment.allocate(dev, 1, s.kvHeads(), s.headDim(), tokens);
        seg.setLength(tokens);
        fillRandom(seg.buffer(), CudaKvSegment.bytes(1, s.kvHeads(), s.headDim(), tokens) / 2, rnd);
        return seg;
    }

    private static DeviceBuffer randomBf16(CudaDevice dev, long n, Random rnd) {
        DeviceBuffer b = DeviceBuffer.allocate(dev, 2 * n, "queries");
        fillRandom(b, n, rnd);
        return b;
    }

    /** bf16 values uniform in about [-1, 1), never zero. */
    private static void fillRandom(DeviceBuffer b, long n, Random rnd) {
        short[] chunk = new short[(int) Math.min(n, 1 << 22)];
        for (long at = 0; at < n; at += chunk.length) {
            int m = (int) Math.min(chunk.length, n - at);
            short[] c = m == chunk.length ? chunk : new short[m];
            for (int i = 0; i < m; i++) {
                float f = rnd.nextFloat() * 2 - 1;
                c[i] = io.hydragen.model.Half.floatToBf16(f == 0 ? 0.5f : f);
            }
            b.upload(c, 2 * at);
        }
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i], args[i + 1]);
        Config c = new Config(Integer.parseInt(a.getOrDefault("--batch", "256")), Integer.parseInt(a.getOrDefault("--prefix-tokens", "16384")),
                Integer.parseInt(a.getOrDefault("--suffix-tokens", "128")), Integer.parseInt(a.getOrDefault("--q-heads", "32")),
                Integer.parseInt(a.getOrDefault("--kv-heads", "8")), Integer.parseInt(a.getOrDefault("--head-dim", "128")));
        int device = Integer.parseInt(a.getOrDefault("--device", "0"));
        String why = CudaBackend.unavailableReason(device);
        if (why != null) {
            System.err.println("attention bench: no usable GPU: " + why);
            System.exit(2);
        }
        List<Result> rs = run(c, device, 10, Integer.parseInt(a.getOrDefault("--reps", "50")));
        DeviceInfo info = CudaDevice.probe(device);
        DevicePeaks peaks;
        try (CudaDevice dev = CudaDevice.open(device)) {
            peaks = dev.peaks();
        }
        System.out.println(info);
        System.out.println("device roofline " + peaks.source());
        System.out.println("README roofline " + DevicePeaks.readmeH100().source());
        for (Result r : rs) {
            System.out.printf("%-13s %9.4f ms  (min %.4f, max %.4f)  device roofline %.4f ms = %.0f%%  README roofline %.4f ms = %.0f%%  %s%n",
                    r.mode(), r.medianMs(), r.minMs(), r.maxMs(), r.deviceRooflineMs(), 100 * r.deviceRooflineMs() / r.medianMs(),
                    r.rooflineMs(), 100 * r.rooflineMs() / r.medianMs(), r.plan());
        }
        if (a.containsKey("--json")) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("device", info.toString());
            doc.put("peaks", Map.of("bandwidth", peaks.bandwidth(), "tensorFlops", peaks.tensorFlops(), "source", peaks.source()));
            doc.put("config", c);
            doc.put("results", rs);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(Path.of(a.get("--json")).toFile(), doc);
        }
    }
}
