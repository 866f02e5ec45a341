package io.hydragen.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;

/**
 * {@link VectorMath} on the Vector API calls that every JDK from 17 to 25 has ({@code fromArray}/{@code intoArray}):
 * for JDKs whose incubator API lost {@code fromByteBuffer} (JDK 20 on), where {@link SimdMath} cannot link. Each call
 * copies its rows into a per-thread heap array in bulk, works there, and copies results back.
 */
final class ArraySimdMath extends VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private final ThreadLocal<float[][]> scratch = ThreadLocal.withInitial(() -> new float[][] {new float[0], new float[0]});

    @Override String name() { return "simd-array-" + S.length() + "x32"; }

    /** Scratch array {@code which} (0 or 1) of this thread, at least n long, holding b's floats [off, off + n). */
    private float[] load(int which, ByteBuffer b, int off, int n) {
        float[][] s = scratch.get();
        if (s[which].length < n) s[which] = new float[Math.max(n, 2 * s[which].length)];
        b.asFloatBuffer().get(off, s[which], 0, n);
        return s[which];
    }

    private static void store(ByteBuffer b, int off, float[] a, int n) { b.asFloatBuffer().put(off, a, 0, n); }

    @Override float max(ByteBuffer b, int off, int n) {
        float[] a = load(0, b, off, n);
        int i = 0;
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i <= n - S.length(); i += S.length()) acc = acc.max(FloatVector.fromArray(S, a, i));
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, a[i]);
        return m;
    }

    @Override float expShiftSum(ByteBuffer b, int off, int n, float sub) {
        float[] a = load(0, b, off, n);
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i <= n - S.length(); i += S.length()) {
            FloatVector e = FloatVector.fromArray(S, a, i).sub(sub).lanewise(VectorOperators.EXP);
            e.intoArray(a, i);
            acc = acc.add(e);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) { a[i] = (float) Math.exp(a[i] - sub); s += a[i]; }
        store(b, off, a, n);
        return s;
    }

    @Override void scale(ByteBuffer b, int off, int n, float f) {
        float[] a = load(0, b, off, n);
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) FloatVector.fromArray(S, a, i).mul(f).intoArray(a, i);
        for (; i < n; i++) a[i] *= f;
        store(b, off, a, n);
    }

    @Override float sumSquares(ByteBuffer b, int off, int n) {
        float[] a = load(0, b, off, n);
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i <= n - S.length(); i += S.length()) { FloatVector v = FloatVector.fromArray(S, a, i); acc = v.fma(v, acc); }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) s += a[i] * a[i];
        return s;
    }

    @Override void scaleByWeights(ByteBuffer x, int xOff, float[] w, float f, ByteBuffer out, int outOff, int n) {
        float[] a = load(0, x, xOff, n);
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) FloatVector.fromArray(S, w, i).mul(FloatVector.fromArray(S, a, i).mul(f)).intoArray(a, i);
        for (; i < n; i++) a[i] = w[i] * (a[i] * f);
        store(out, outOff, a, n);
    }

    @Override void siluMul(ByteBuffer b, int gOff, int uOff, ByteBuffer out, int outOff, int n) {
        float[] g = load(0, b, gOff, n), u = load(1, b, uOff, n);
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            FloatVector gv = FloatVector.fromArray(S, g, i);
            gv.div(gv.neg().lanewise(VectorOperators.EXP).add(1f)).mul(FloatVector.fromArray(S, u, i)).intoArray(g, i);
        }
        for (; i < n; i++) g[i] = g[i] / (1f + (float) Math.exp(-g[i])) * u[i];
        store(out, outOff, g, n);
    }

    @Override void add(ByteBuffer a, int aOff, ByteBuffer b, int bOff, int n) {
        float[] x = load(0, a, aOff, n), y = load(1, b, bOff, n);
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) FloatVector.fromArray(S, x, i).add(FloatVector.fromArray(S, y, i)).intoArray(x, i);
        for (; i < n; i++) x[i] += y[i];
        store(a, aOff, x, n);
    }
}
