package io.hydragen.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The vector kernels against plain Java arithmetic (the scalar fallback where the Vector API is absent). */
class VectorMathTest {
    /** The one this JVM picked, and the array-staged one JDK 20+ gets (it links on every JDK, so it is tested here too). */
    static java.util.List<VectorMath> impls() { return java.util.List.of(VectorMath.INSTANCE, new ArraySimdMath()); }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("impls")
    void softmaxExponentialsAreAccurateOverTheWholeRange(VectorMath VM) {
        int n = 4099;
        try (OffHeap b = new OffHeap(n)) {
            Random r = new Random(1);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) { x[i] = i < 10 ? -i * 9.5f : (float) (-r.nextDouble() * 100); b.set(i, x[i]); }
            float sum = VM.expShiftSum(b.bytes, 0, n, 0f);
            double want = 0;
            for (int i = 0; i < n; i++) {
                double e = Math.exp(x[i]);
                want += e;
                assertEquals(e, b.get(i), Math.max(3e-7 * e, 1e-37), "exp(" + x[i] + ")");
            }
            assertEquals(want, sum, 1e-5 * want);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("impls")
    void siluMulRmsAndAddMatchScalarMath(VectorMath VM) {
        int n = 77;
        VectorMath scalar = new VectorMath.ScalarMath();
        try (OffHeap a = new OffHeap(2 * n); OffHeap o1 = new OffHeap(n); OffHeap o2 = new OffHeap(n)) {
            Random r = new Random(2);
            float[] w = new float[n];
            for (int i = 0; i < 2 * n; i++) a.set(i, (float) r.nextGaussian() * 4);
            for (int i = 0; i < n; i++) w[i] = (float) r.nextGaussian();
            VM.siluMul(a.bytes, 0, n, o1.bytes, 0, n);
            scalar.siluMul(a.bytes, 0, n, o2.bytes, 0, n);
            for (int i = 0; i < n; i++) assertEquals(o2.get(i), o1.get(i), 1e-5f * Math.max(1, Math.abs(o2.get(i))));
            assertEquals(scalar.sumSquares(a.bytes, 0, n), VM.sumSquares(a.bytes, 0, n), 1e-3f);
            assertEquals(scalar.max(a.bytes, 0, n), VM.max(a.bytes, 0, n));
            VM.scaleByWeights(a.bytes, 0, w, 0.5f, o1.bytes, 0, n);
            for (int i = 0; i < n; i++) assertEquals(w[i] * a.get(i) * 0.5f, o1.get(i), 1e-6f);
            float[] before = new float[n];
            for (int i = 0; i < n; i++) before[i] = a.get(i);
            VM.add(a.bytes, 0, a.bytes, n, n);
            for (int i = 0; i < n; i++) assertEquals(before[i] + a.get(n + i), a.get(i), 1e-6f);
            VM.scale(a.bytes, 3, n - 5, 2f);
            assertEquals(before[0] + a.get(n), a.get(0), 1e-6f, "before the range: untouched");
            for (int i = 3; i < n - 2; i++) assertEquals(2f * (before[i] + a.get(n + i)), a.get(i), 1e-5f);
        }
        assertTrue(VM.name().startsWith("simd") || VM.name().equals("scalar"));
    }
}
