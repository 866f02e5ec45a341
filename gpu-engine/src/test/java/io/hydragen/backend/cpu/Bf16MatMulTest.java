package io.hydragen.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hydragen.model.Half;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bf16 matrix product against a double-precision reference on random matrices, at sizes that leave tails
 * everywhere: rows not a multiple of the kernel's 6, columns not a multiple of 16 or 64, an odd inner size.
 * Where the CPU has AMX-BF16 the kernel path runs every row on AMX tiles when the inner size is a multiple of 32 (the
 * last group of fewer than 32 rows through a buffer) and a tail of fewer than 16 columns on vdpbf16ps: the cases with
 * k = 32, 64, 512 cover that split.
 * The reference multiplies the same bf16 weights; the kernel without {@link Bf16Split} rounds the activations to bf16,
 * with it (-Dhydragen.bf16.split=all) it carries them as hi + lo bf16 parts, the widened-panel path keeps them fp32: each is compared
 * with its own reference (activations rounded for the first, exact for the others), so only fp32 accumulation error
 * and, with the split, the low part's own rounding (2^-17 relative) remain.
 */
class Bf16MatMulTest {

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    private static float bf16(float x) { return Half.bf16ToFloat(Half.floatToBf16(x)); }

    /**
     * Runs y = x·Wᵀ on the given path (split: the kernel carries x as hi + lo) and returns the largest error relative to
     * the reference's magnitude, the reference's x rounded to bf16 exactly where the kernel rounds it.
     */
    private static double maxError(int m, int n, int k, boolean kernel, boolean split, int threads) {
        Random r = new Random(31L * m + 17L * n + k);
        float[] x = random(r, m * k), w = random(r, n * k);
        try (Parallel p = new Parallel(threads); MatMul mm = new MatMul(p, kernel, kernel && Bf16Native.amxAvailable(), split);
             Bf16Matrix b = new Bf16Matrix(n, k);
             OffHeap xs = OffHeap.of(x); OffHeap y = new OffHeap((long) m * n)) {
            for (int j = 0; j < n; j++) for (int kk = 0; kk < k; kk++) b.set(j, kk, Half.floatToBf16(w[j * k + kk]));
            mm.apply(xs, b, y, m);
            double worst = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double ref = 0, mag = 0;
                    for (int kk = 0; kk < k; kk++) {
                        double xv = kernel && !split ? bf16(x[i * k + kk]) : x[i * k + kk];
                        double t = xv * bf16(w[j * k + kk]);
                        ref += t;
                        mag += Math.abs(t);
                    }
                    worst = Math.max(worst, Math.abs(y.get(i * n + j) - ref) / Math.max(mag, 1e-30));
                }
            }
            return worst;
        }
    }

    @ParameterizedTest(name = "kernel m={0} n={1} k={2}")
    @CsvSource({"1,1,1", "1,16,2", "7,17,33", "13,65,31", "6,64,64", "64,100,512", "5,130,3", "70,257,129", "45,130,64", "96,64,32", "32,16,32"})
    void kernelMatchesReference(int m, int n, int k) {
        assumeTrue(Bf16Native.available(), "no AVX512_BF16 kernel here: " + Bf16Native.unavailableReason());
        double split = maxError(m, n, k, true, true, 2), rounded = maxError(m, n, k, true, false, 2);
        System.out.printf("bf16 kernel m=%d n=%d k=%d (%s): relative error %.2e split (x exact in the reference), %.2e rounded (x rounded there)%n",
                m, n, k, Bf16Native.amxAvailable() ? "AMX" : "vdpbf16ps", split, rounded);
        assertTrue(split < 1e-5, "split: relative error " + split);
        assertTrue(rounded < 1e-5, "rounded: relative error " + rounded);
    }

    /** What the split buys: without it the kernel is off an exact-x reference by bf16's 2^-9, with it by far less. */
    @Test
    void splitActivationsAreAboutFp32() {
        assumeTrue(Bf16Native.available(), "no AVX512_BF16 kernel here: " + Bf16Native.unavailableReason());
        Random r = new Random(5);
        int m = 40, n = 48, k = 256;
        float[] x = random(r, m * k);
        try (Parallel p = new Parallel(1); MatMul split = new MatMul(p, true, Bf16Native.amxAvailable(), true);
             MatMul rounded = new MatMul(p, true, Bf16Native.amxAvailable(), false); Bf16Matrix b = new Bf16Matrix(n, k);
             OffHeap xs = OffHeap.of(x); OffHeap ys = new OffHeap((long) m * n); OffHeap yr = new OffHeap((long) m * n)) {
            for (int j = 0; j < n; j++) for (int kk = 0; kk < k; kk++) b.set(j, kk, Half.floatToBf16((float) r.nextGaussian()));
            split.apply(xs, b, ys, m);
            rounded.apply(xs, b, yr, m);
            double errSplit = 0, errRounded = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double ref = 0;
                    for (int kk = 0; kk < k; kk++) ref += (double) x[i * k + kk] * b.get(j, kk);
                    errSplit = Math.max(errSplit, Math.abs(ys.get(i * n + j) - ref));
                    errRounded = Math.max(errRounded, Math.abs(yr.get(i * n + j) - ref));
                }
            }
            System.out.printf("against exact activations: split %.2e, rounded %.2e%n", errSplit, errRounded);
            assertTrue(errSplit < 2e-4, "split " + errSplit);
            assertTrue(errRounded > 20 * errSplit, "rounded " + errRounded + " split " + errSplit);
        }
    }

    @ParameterizedTest(name = "widened m={0} n={1} k={2}")
    @CsvSource({"1,1,1", "7,17,33", "13,65,31", "64,100,512", "5,1030,3"})
    void widenedPanelsMatchReference(int m, int n, int k) {
        double err = maxError(m, n, k, false, false, 2);
        assertTrue(err < 1e-5, "relative error " + err);
    }

    /**
     * A row's products are the same bits alone and among 45 rows (AMX's row groups and buffered last group included;
     * k = 176, tiny-llama-bpe's down projection, is not whole 32-wide tiles and runs on vdpbf16ps).
     */
    @ParameterizedTest(name = "split={0} k={1}")
    @CsvSource({"true, 64", "false, 64", "true, 176", "false, 176"})
    void aRowsResultDoesNotDependOnTheOtherRows(boolean split, int k) {
        assumeTrue(Bf16Native.available(), "no AVX512_BF16 kernel here: " + Bf16Native.unavailableReason());
        int m = 45, n = 130;
        Random r = new Random(9);
        float[] x = random(r, m * k);
        try (Parallel p = new Parallel(2); MatMul mm = new MatMul(p, true, Bf16Native.amxAvailable(), split); Bf16Matrix b = new Bf16Matrix(n, k);
             OffHeap all = OffHeap.of(x); OffHeap y = new OffHeap((long) m * n); OffHeap one = new OffHeap(k); OffHeap y1 = new OffHeap(n)) {
            for (int j = 0; j < n; j++) for (int kk = 0; kk < k; kk++) b.set(j, kk, Half.floatToBf16((float) r.nextGaussian()));
            mm.apply(all, b, y, m);
            for (int row : new int[] {0, 31, 32, 44}) {
                for (int kk = 0; kk < k; kk++) one.set(kk, x[row * k + kk]);
                mm.apply(one, b, y1, 1);
                for (int j = 0; j < n; j++) assertEquals(y.get(row * n + j), y1.get(j), "row " + row + " column " + j);
            }
        }
    }

    @Test
    void untouchedColumnsStayUntouchedAndRowsReadBack() {
        // the kernel writes exactly n columns per row (masked tail): a sentinel past them in a wider output survives
        assumeTrue(Bf16Native.available(), "no AVX512_BF16 kernel here: " + Bf16Native.unavailableReason());
        int m = 3, n = 20, k = 9;
        try (Parallel p = new Parallel(1); MatMul mm = new MatMul(p, true); Bf16Matrix b = new Bf16Matrix(n, k);
             OffHeap x = OffHeap.of(random(new Random(1), m * k)); OffHeap y = new OffHeap((long) m * n + 5); OffHeap row = new OffHeap(k)) {
            for (int j = 0; j < n; j++) for (int kk = 0; kk < k; kk++) b.set(j, kk, Half.floatToBf16(j + kk / 8f));
            for (int i = m * n; i < m * n + 5; i++) y.set(i, 42f);
            mm.apply(x, b, y, m);
            for (int i = m * n; i < m * n + 5; i++) assertEquals(42f, y.get(i));
            b.row(19, row, 0);
            for (int kk = 0; kk < k; kk++) assertEquals(bf16(19 + kk / 8f), row.get(kk));
        }
    }
}
