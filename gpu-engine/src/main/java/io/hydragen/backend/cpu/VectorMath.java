package io.hydragen.backend.cpu;

import java.nio.ByteBuffer;

/**
 * Element-wise kernels over off-heap float rows. The softmax exponentials are the only non-BLAS work that grows
 * with prefix length, so they run through the JDK Vector API when the JVM was started with
 * {@code --add-modules jdk.incubator.vector} (bin/hydragen does), and through a scalar loop otherwise.
 * Offsets and lengths are in floats.
 */
abstract class VectorMath {

    static final VectorMath INSTANCE = pick();

    private static VectorMath pick() {
        if (!Boolean.getBoolean("hydragen.scalar")) {
            try {
                Class.forName("jdk.incubator.vector.FloatVector");
            } catch (ReflectiveOperationException | LinkageError e) {
                return new ScalarMath();   // module not resolved
            }
            // The incubator API changes between JDKs (FloatVector.fromByteBuffer is gone from JDK 20 on): each candidate
            // is used once here, so a JDK whose API differs gets the next one instead of a NoSuchMethodError mid-pass.
            // -Dhydragen.simd=array starts from the array-staged one (to compare the two on one JDK)
            String[] order = "array".equals(System.getProperty("hydragen.simd"))
                    ? new String[] {"io.hydragen.backend.cpu.ArraySimdMath"}
                    : new String[] {"io.hydragen.backend.cpu.SimdMath", "io.hydragen.backend.cpu.ArraySimdMath"};
            for (String impl : order) {
                try {
                    VectorMath simd = (VectorMath) Class.forName(impl).getDeclaredConstructor().newInstance();
                    java.nio.ByteBuffer probe = java.nio.ByteBuffer.allocateDirect(4 * 64).order(java.nio.ByteOrder.nativeOrder());
                    simd.sumSquares(probe, 0, 64);
                    simd.expShiftSum(probe, 0, 64, 0f);
                    return simd;
                } catch (ReflectiveOperationException | LinkageError e) {
                    // this JDK's Vector API lacks what impl calls: try the next
                }
            }
        }
        return new ScalarMath();
    }

    abstract String name();

    abstract float max(ByteBuffer b, int off, int n);

    /** b[i] = exp(b[i] - sub) for i in [off, off+n); returns the sum of the new values. */
    abstract float expShiftSum(ByteBuffer b, int off, int n, float sub);

    abstract void scale(ByteBuffer b, int off, int n, float a);

    /** Σ x² over [off, off+n). */
    abstract float sumSquares(ByteBuffer b, int off, int n);

    /** out[i] = w[i] · x[i] · a. */
    abstract void scaleByWeights(ByteBuffer x, int xOff, float[] w, float a, ByteBuffer out, int outOff, int n);

    /** out[i] = silu(g[i]) · u[i], silu(x) = x / (1 + e^{-x}). */
    abstract void siluMul(ByteBuffer b, int gOff, int uOff, ByteBuffer out, int outOff, int n);

    /** a[i] += b[i]. */
    abstract void add(ByteBuffer a, int aOff, ByteBuffer b, int bOff, int n);

    static final class ScalarMath extends VectorMath {
        @Override String name() { return "scalar"; }

        @Override float max(ByteBuffer b, int off, int n) {
            float m = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) m = Math.max(m, b.getFloat((off + i) << 2));
            return m;
        }

        @Override float expShiftSum(ByteBuffer b, int off, int n, float sub) {
            float s = 0;
            for (int i = 0; i < n; i++) {
                int at = (off + i) << 2;
                float e = (float) Math.exp(b.getFloat(at) - sub);
                b.putFloat(at, e);
                s += e;
            }
            return s;
        }

        @Override void scale(ByteBuffer b, int off, int n, float a) {
            for (int i = 0; i < n; i++) { int at = (off + i) << 2; b.putFloat(at, b.getFloat(at) * a); }
        }

        @Override float sumSquares(ByteBuffer b, int off, int n) {
            float s = 0;
            for (int i = 0; i < n; i++) { float v = b.getFloat((off + i) << 2); s += v * v; }
            return s;
        }

        @Override void scaleByWeights(ByteBuffer x, int xOff, float[] w, float a, ByteBuffer out, int outOff, int n) {
            for (int i = 0; i < n; i++) out.putFloat((outOff + i) << 2, w[i] * (x.getFloat((xOff + i) << 2) * a));
        }

        @Override void siluMul(ByteBuffer b, int gOff, int uOff, ByteBuffer out, int outOff, int n) {
            for (int i = 0; i < n; i++) {
                float g = b.getFloat((gOff + i) << 2);
                out.putFloat((outOff + i) << 2, g / (1f + (float) Math.exp(-g)) * b.getFloat((uOff + i) << 2));
            }
        }

        @Override void add(ByteBuffer a, int aOff, ByteBuffer b, int bOff, int n) {
            for (int i = 0; i < n; i++) a.putFloat((aOff + i) << 2, a.getFloat((aOff + i) << 2) + b.getFloat((bOff + i) << 2));
        }
    }
}
