package io.hydragen.backend.cuda.reference;

/**
 * CPU references of the small kernel families, with the kernels' conventions: embedding.cu, rmsnorm.cu,
 * rope.cu, activation.cu. Arithmetic in double where the kernel uses fp32 (the tests' tolerances cover the
 * difference); outputs the kernels store as bf16 are rounded to bf16 here too.
 */
public final class ElementwiseReference {
    private ElementwiseReference() {}

    /** embedding_gather: fp32 rows of the bf16 table; an id outside the vocabulary gives zeros. */
    public static float[] embedding(int[] ids, float[] table, int hidden, int vocab) {
        float[] out = new float[ids.length * hidden];
        for (int r = 0; r < ids.length; r++) {
            int id = ids[r];
            if (id < 0 || id >= vocab) continue;
            System.arraycopy(table, id * hidden, out, r * hidden, hidden);
        }
        return out;
    }

    /** rmsnorm: out[r] = bf16(x[src] / sqrt(mean(x[src]^2) + eps) * w), src = rowIdx == null ? r : rowIdx[r]. */
    public static float[] rmsnorm(float[] x, int[] rowIdx, float[] w, int rows, int hidden, float eps) {
        float[] out = new float[rows * hidden];
        for (int r = 0; r < rows; r++) {
            int src = rowIdx == null ? r : rowIdx[r];
            double ss = 0;
            for (int i = 0; i < hidden; i++) ss += (double) x[src * hidden + i] * x[src * hidden + i];
            double inv = 1.0 / Math.sqrt(ss / hidden + eps);
            for (int i = 0; i < hidden; i++) out[r * hidden + i] = Bf16.round((float) (x[src * hidden + i] * inv * w[i]));
        }
        return out;
    }

    /** The outputs of rope_qkv for one row-major batch. */
    public record RopeOut(float[] q, float[] k, float[] v) {}

    /**
     * rope_qkv: rotate_half RoPE of q and k (angle = fp32(position * invFreq[i]), as transformers), q, k, v rounded
     * to bf16. q is [rows][numHeads][D]; k and v are [rows][numKv][D].
     */
    public static RopeOut rope(float[] qkv, int ld, int[] positions, float[] invFreq, int rows, int numHeads, int numKv, int d) {
        int half = d / 2;
        float[] q = new float[rows * numHeads * d], k = new float[rows * numKv * d], v = new float[rows * numKv * d];
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < numHeads + numKv; h++) {
                float[] dst = h < numHeads ? q : k;
                int dOff = h < numHeads ? (r * numHeads + h) * d : (r * numKv + h - numHeads) * d;
                for (int i = 0; i < half; i++) {
                    float angle = (float) positions[r] * invFreq[i];
                    double c = Math.cos(angle), s = Math.sin(angle);
                    double x1 = qkv[r * ld + h * d + i], x2 = qkv[r * ld + h * d + i + half];
                    dst[dOff + i] = Bf16.round((float) (x1 * c - x2 * s));
                    dst[dOff + i + half] = Bf16.round((float) (x2 * c + x1 * s));
                }
            }
            for (int e = 0; e < numKv * d; e++) v[r * numKv * d + e] = Bf16.round(qkv[r * ld + (numHeads + numKv) * d + e]);
        }
        return new RopeOut(q, k, v);
    }

    /** swiglu: out[r][i] = bf16(silu(gate) * up) over rows of [gate | up]. */
    public static float[] swiglu(float[] gateUp, int rows, int inter) {
        float[] out = new float[rows * inter];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < inter; i++) {
                double g = gateUp[r * 2 * inter + i], u = gateUp[r * 2 * inter + inter + i];
                out[r * inter + i] = Bf16.round((float) (g / (1 + Math.exp(-g)) * u));
            }
        }
        return out;
    }

    /** gemm: C = (accumulate ? C : 0) + A·Wᵀ + bias, A [m,k] and W [n,k] bf16-valued, in double. */
    public static float[] gemm(float[] a, float[] w, float[] bias, float[] c, int m, int n, int k, boolean accumulate) {
        float[] out = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int t = 0; t < k; t++) s += (double) a[i * k + t] * w[j * k + t];
                if (bias != null) s += bias[j];
                if (accumulate) s += c[i * n + j];
                out[i * n + j] = (float) s;
            }
        }
        return out;
    }
}
