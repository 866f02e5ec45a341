package io.hydragen.backend.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The project's GEMM at the shapes of the device README's matmul anchors (M tokens × N outputs × K inputs, bf16,
 * fp32 accumulation), median device time and TFLOP/s, for comparing with torch.matmul measured in the same call.
 *
 * <pre>java -cp '.device/lib/*' io.hydragen.backend.cuda.GemmBench [--device 0] [--reps 50]</pre>
 */
public final class GemmBench {
    public record Result(int m, int n, int k, String plan, double medianMs, double tflops) {}

    static final int[] MS = {64, 256, 1024, 16384};
    static final int[][] NK = {{4096, 4096}, {14336, 4096}, {4096, 14336}};

    public static List<Result> run(int ordinal, int warmup, int reps) {
        List<Result> out = new ArrayList<>();
        try (CudaDevice dev = CudaDevice.open(ordinal); KernelLibrary lib = KernelLibrary.load(dev); CudaTimer timer = new CudaTimer(dev)) {
            GemmKernel gemm = new GemmKernel(lib);
            Random rnd = new Random(3);
            long l2 = dev.l2Bytes();
            for (int[] nk : NK) {
                int n = nk[0], k = nk[1];
                int sets = weightSets(2L * n * k, l2);
                List<DeviceBuffer> ws0 = new ArrayList<>();
                try {
                    for (int i = 0; i < sets; i++) ws0.add(random(dev, (long) n * k, rnd));
                    int[] next = {0};
                    for (int m : MS) {
                        GemmPlan p = gemm.plan(m, n, k);
                        try (DeviceBuffer a = random(dev, (long) m * k, rnd);
                             DeviceBuffer c = DeviceBuffer.allocate(dev, 4L * m * n, "C");
                             DeviceBuffer ws = DeviceBuffer.allocate(dev, 4L * Math.max(1, p.workspaceFloats()), "split-K workspace")) {
                            // each launch reads the next weight set, so the weights come from HBM, not from L2
                            float[] ms = timer.median(() -> gemm.launch(p, a, ws0.get(next[0]++ % sets), 0, c, n, null, false,
                                    p.splits() > 1 ? ws : null), warmup, reps);
                            out.add(new Result(m, n, k, p.tile() + " x" + p.splits() + ", " + sets + " weight sets (L2 " + (l2 >> 20)
                                    + " MiB)", ms[0], 2.0 * m * n * k / (ms[0] * 1e-3) / 1e12));
                        }
                    }
                } finally {
                    for (DeviceBuffer b : ws0) b.close();
                }
            }
        }
        return out;
    }

    /** Weight sets of {@code weightBytes} each to rotate through so that together they exceed twice the L2. */
    static int weightSets(long weightBytes, long l2Bytes) {
        return (int) Math.max(2, 2 * Math.max(0, l2Bytes) / Math.max(1, weightBytes) + 1);
    }

    private static DeviceBuffer random(CudaDevice dev, long n, Random rnd) {
        DeviceBuffer b = DeviceBuffer.allocate(dev, 2 * n, "operand");
        short[] chunk = new short[(int) Math.min(n, 1 << 22)];
        for (int i = 0; i < chunk.length; i++) chunk[i] = io.hydragen.model.Half.floatToBf16(rnd.nextFloat() * 2 - 1 + 1e-3f);
        for (long at = 0; at < n; at += chunk.length) {
            int m = (int) Math.min(chunk.length, n - at);
            b.upload(m == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, m), 2 * at);
        }
        return b;
    }

    public static void main(String[] args) {
        int device = 0, reps = 50;
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].equals("--device")) device = Integer.parseInt(args[i + 1]);
            if (args[i].equals("--reps")) reps = Integer.parseInt(args[i + 1]);
        }
        String why = CudaBackend.unavailableReason(device);
        if (why != null) {
            System.err.println("gemm bench: no usable GPU: " + why);
            System.exit(2);
        }
        System.out.println(CudaDevice.probe(device));
        for (Result r : run(device, 5, reps)) {
            System.out.printf("M=%-6d N=%-6d K=%-6d %-16s %9.4f ms %7.1f TFLOP/s%n", r.m(), r.n(), r.k(), r.plan(), r.medianMs(), r.tflops());
        }
    }
}
