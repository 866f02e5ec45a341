package io.hydragen.backend.cpu;

import java.nio.FloatBuffer;

/** The element-wise steps of the forward pass, on row-major off-heap activations. */
final class Ops {
    private Ops() {}

    static void embed(OffHeap table, int[] tokens, OffHeap x, int hidden) {
        for (int r = 0; r < tokens.length; r++) x.floats.put(r * hidden, table.floats, tokens[r] * hidden, hidden);
    }

    /** y = x / sqrt(mean(x²) + eps) · weight, per row (in place when x == y). */
    static void rmsnorm(OffHeap x, OffHeap y, float[] weight, int rows, int dim, float eps) {
        FloatBuffer in = x.floats, out = y.floats;
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) { float v = in.get(o + i); ss += v * v; }
            float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
            for (int i = 0; i < dim; i++) out.put(o + i, weight[i] * (in.get(o + i) * inv));
        }
    }

    static void addBias(OffHeap y, float[] bias, int rows, int dim) {
        FloatBuffer f = y.floats;
        for (int r = 0; r < rows; r++) for (int i = 0; i < dim; i++) f.put(r * dim + i, f.get(r * dim + i) + bias[i]);
    }

    static void addInPlace(OffHeap x, OffHeap y, int n) {
        FloatBuffer a = x.floats, b = y.floats;
        for (int i = 0; i < n; i++) a.put(i, a.get(i) + b.get(i));
    }

    /** Copies the q columns out of the fused q|k|v rows. */
    static void splitQ(OffHeap qkv, OffHeap q, int rows, int qkvDim, int qDim) {
        for (int r = 0; r < rows; r++) q.floats.put(r * qDim, qkv.floats, r * qkvDim, qDim);
    }

    /** out = silu(gate) · up, with gate|up fused per row. */
    static void swiglu(OffHeap gateUp, OffHeap out, int rows, int dim) {
        FloatBuffer gu = gateUp.floats, o = out.floats;
        for (int r = 0; r < rows; r++) {
            int g = r * 2 * dim, u = g + dim;
            for (int i = 0; i < dim; i++) {
                float x = gu.get(g + i);
                o.put(r * dim + i, x / (1f + (float) Math.exp(-x)) * gu.get(u + i));
            }
        }
    }
}
