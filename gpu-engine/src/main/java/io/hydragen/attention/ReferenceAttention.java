package io.hydragen.attention;

/**
 * Plain softmax attention in double precision: the reference every optimised kernel (CPU tiles, CUDA) is tested against.
 */
public final class ReferenceAttention {
    private ReferenceAttention() {}

    /** Output and log-sum-exp of one query head. */
    public record Result(float[] out, float lse) {}

    /**
     * @param q [d] one query head (already rotated)
     * @param keys [n][d], values [n][d]; only the first {@code visible} keys count
     */
    public static Result attend(float[] q, float[][] keys, float[][] values, int visible, double scale) {
        int d = q.length;
        double[] s = new double[visible];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < visible; j++) {
            double dot = 0;
            for (int i = 0; i < d; i++) dot += (double) q[i] * keys[j][i];
            s[j] = dot * scale;
            max = Math.max(max, s[j]);
        }
        if (visible == 0) return new Result(new float[d], Float.NEGATIVE_INFINITY);
        double sum = 0;
        for (int j = 0; j < visible; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
        double[] o = new double[d];
        for (int j = 0; j < visible; j++) for (int i = 0; i < d; i++) o[i] += s[j] / sum * values[j][i];
        float[] out = new float[d];
        for (int i = 0; i < d; i++) out[i] = (float) o[i];
        return new Result(out, (float) (max + Math.log(sum)));
    }
}
