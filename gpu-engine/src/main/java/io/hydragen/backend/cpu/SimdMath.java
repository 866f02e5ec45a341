package io.hydragen.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** {@link VectorMath} on the JDK Vector API; loaded by reflection only when the incubator module is present. */
final class SimdMath extends VectorMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder O = ByteOrder.nativeOrder();

    @Override String name() { return "simd-" + S.length() + "x32"; }

    @Override float max(ByteBuffer b, int off, int n) {
        int i = 0;
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i <= n - S.length(); i += S.length()) acc = acc.max(FloatVector.fromByteBuffer(S, b, (off + i) << 2, O));
        float m = acc.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) m = Math.max(m, b.getFloat((off + i) << 2));
        return m;
    }

    @Override float expShiftSum(ByteBuffer b, int off, int n, float sub) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i <= n - S.length(); i += S.length()) {
            int at = (off + i) << 2;
            FloatVector e = FloatVector.fromByteBuffer(S, b, at, O).sub(sub).lanewise(VectorOperators.EXP);
            e.intoByteBuffer(b, at, O);
            acc = acc.add(e);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            int at = (off + i) << 2;
            float e = (float) Math.exp(b.getFloat(at) - sub);
            b.putFloat(at, e);
            s += e;
        }
        return s;
    }

    @Override void scale(ByteBuffer b, int off, int n, float a) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            int at = (off + i) << 2;
            FloatVector.fromByteBuffer(S, b, at, O).mul(a).intoByteBuffer(b, at, O);
        }
        for (; i < n; i++) { int at = (off + i) << 2; b.putFloat(at, b.getFloat(at) * a); }
    }

    @Override float sumSquares(ByteBuffer b, int off, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(S);
        for (; i <= n - S.length(); i += S.length()) {
            FloatVector v = FloatVector.fromByteBuffer(S, b, (off + i) << 2, O);
            acc = v.fma(v, acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) { float v = b.getFloat((off + i) << 2); s += v * v; }
        return s;
    }

    @Override void scaleByWeights(ByteBuffer x, int xOff, float[] w, float a, ByteBuffer out, int outOff, int n) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            FloatVector v = FloatVector.fromByteBuffer(S, x, (xOff + i) << 2, O).mul(a);
            FloatVector.fromArray(S, w, i).mul(v).intoByteBuffer(out, (outOff + i) << 2, O);
        }
        for (; i < n; i++) out.putFloat((outOff + i) << 2, w[i] * (x.getFloat((xOff + i) << 2) * a));
    }

    @Override void siluMul(ByteBuffer b, int gOff, int uOff, ByteBuffer out, int outOff, int n) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            FloatVector g = FloatVector.fromByteBuffer(S, b, (gOff + i) << 2, O);
            FloatVector u = FloatVector.fromByteBuffer(S, b, (uOff + i) << 2, O);
            FloatVector sig = g.neg().lanewise(VectorOperators.EXP).add(1f);
            g.div(sig).mul(u).intoByteBuffer(out, (outOff + i) << 2, O);
        }
        for (; i < n; i++) {
            float g = b.getFloat((gOff + i) << 2);
            out.putFloat((outOff + i) << 2, g / (1f + (float) Math.exp(-g)) * b.getFloat((uOff + i) << 2));
        }
    }

    @Override void add(ByteBuffer a, int aOff, ByteBuffer b, int bOff, int n) {
        int i = 0;
        for (; i <= n - S.length(); i += S.length()) {
            FloatVector.fromByteBuffer(S, a, (aOff + i) << 2, O).add(FloatVector.fromByteBuffer(S, b, (bOff + i) << 2, O))
                    .intoByteBuffer(a, (aOff + i) << 2, O);
        }
        for (; i < n; i++) a.putFloat((aOff + i) << 2, a.getFloat((aOff + i) << 2) + b.getFloat((bOff + i) << 2));
    }
}
