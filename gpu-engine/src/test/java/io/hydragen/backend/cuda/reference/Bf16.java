package io.hydragen.backend.cuda.reference;

import io.hydragen.model.Half;

import java.util.Random;

/** bf16 helpers for the references: values are kept as floats that are exactly representable in bf16. */
public final class Bf16 {
    private Bf16() {}

    /** Round to nearest even bf16, back as float. */
    public static float round(float f) { return Half.bf16ToFloat(Half.floatToBf16(f)); }

    public static float[] round(float[] a) {
        float[] o = new float[a.length];
        for (int i = 0; i < a.length; i++) o[i] = round(a[i]);
        return o;
    }

    public static short[] bits(float[] a) {
        short[] o = new short[a.length];
        for (int i = 0; i < a.length; i++) o[i] = Half.floatToBf16(a[i]);
        return o;
    }

    public static float[] floats(short[] a) {
        float[] o = new float[a.length];
        for (int i = 0; i < a.length; i++) o[i] = Half.bf16ToFloat(a[i]);
        return o;
    }

    /** Uniform values in [-scale, scale), rounded to bf16 (never zeros: they hide unwritten outputs). */
    public static float[] random(Random rnd, int n, float scale) {
        float[] o = new float[n];
        for (int i = 0; i < n; i++) o[i] = round((rnd.nextFloat() * 2 - 1) * scale);
        return o;
    }

    /** ‖a − b‖ / ‖b‖ in double. */
    public static double relError(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            if (Double.isNaN(d)) return Double.POSITIVE_INFINITY;
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }
}
