package io.hydragen.backend.cpu;

import io.hydragen.model.Half;

/**
 * One decode step's matrix products in isolation, fp32 SGEMM against the bf16 kernel (vdpbf16ps only, and with AMX
 * tiles where the CPU has them, each with the activations rounded and split into hi + lo, {@link Bf16Split}), alternating
 * in one process so all see the same machine load:
 * {@code MatMulBench [rows] [threads] [reps]} prints GFLOP/s per shape and the ratios.
 * Shapes are synthetic:cpu-bench's (hidden 512, intermediate 1536, vocabulary 32000). With 1 thread the times are the
 * thread's CPU time (less disturbed by other processes on a shared machine than wall time); with more, wall time.
 */
public final class MatMulBench {
    public static void main(String[] args) {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int[][] shapes = {{768, 512}, {512, 512}, {3072, 512}, {512, 1536}, {32000, 512}};
        java.lang.management.ThreadMXBean clock = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.function.LongSupplier now = threads == 1 ? clock::getCurrentThreadCpuTime : System::nanoTime;
        boolean amx = Bf16Native.amxAvailable();
        try (Parallel p = new Parallel(threads); MatMul mm = new MatMul(p, Bf16Native.available(), false, false);
             MatMul tiles = new MatMul(p, Bf16Native.available(), amx, false); MatMul mmSplit = new MatMul(p, Bf16Native.available(), false, true);
             MatMul tilesSplit = new MatMul(p, Bf16Native.available(), amx, true)) {
            for (int[] s : shapes) {
                int n = s[0], k = s[1];
                try (OffHeap x = new OffHeap((long) m * k); OffHeap w = new OffHeap((long) n * k); OffHeap y = new OffHeap((long) m * n);
                     Bf16Matrix b = new Bf16Matrix(n, k)) {
                    for (int i = 0; i < m * k; i++) x.set(i, (i % 13) * 0.01f);
                    for (int j = 0; j < n; j++) for (int kk = 0; kk < k; kk++) { w.set(j * k + kk, ((j + kk) % 7) * 0.01f); b.set(j, kk, Half.floatToBf16(((j + kk) % 7) * 0.01f)); }
                    Fp32Matrix f = new Fp32Matrix(w, n, k);
                    long tf = 0, tb = 0, ta = 0, tbs = 0, tas = 0;
                    for (int r = 0; r < reps + 2; r++) {
                        long t0 = now.getAsLong();
                        mm.apply(x, f, y, m);
                        long t1 = now.getAsLong();
                        mm.apply(x, b, y, m);
                        long t2 = now.getAsLong();
                        tiles.apply(x, b, y, m);
                        long t3 = now.getAsLong();
                        mmSplit.apply(x, b, y, m);
                        long t4 = now.getAsLong();
                        tilesSplit.apply(x, b, y, m);
                        long t5 = now.getAsLong();
                        if (r >= 2) { tf += t1 - t0; tb += t2 - t1; ta += t3 - t2; tbs += t4 - t3; tas += t5 - t4; }
                    }
                    double flops = 2.0 * m * n * k * reps;
                    System.out.printf("m=%d n=%5d k=%4d  fp32 %6.1f GFLOP/s  bf16 %6.1f GFLOP/s  bf16/fp32 %.2fx  %s %6.1f GFLOP/s  /vdpbf16ps %.2fx%n",
                            m, n, k, flops / tf, flops / tb, (double) tf / tb, amx ? "AMX" : "(no AMX)", flops / ta, (double) tb / ta);
                    System.out.printf("        split hi + lo: vdpbf16ps %6.1f GFLOP/s (%.2fx of rounded)  %s %6.1f GFLOP/s (%.2fx of rounded)%n",
                            flops / tbs, (double) tb / tbs, amx ? "AMX" : "(no AMX)", flops / tas, (double) ta / tas);
                }
            }
        }
    }
}
