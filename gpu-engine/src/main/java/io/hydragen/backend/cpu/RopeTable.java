package io.hydragen.backend.cpu;

import io.hydragen.model.ModelConfig;
import io.hydragen.model.Rope;

import java.nio.FloatBuffer;

/** cos/sin of every (position, pair), grown on demand, and the rotation applied to q or k heads in place. */
final class RopeTable {
    private final double[] invFreq;
    private final int half;
    private final int headDim;
    private float[] cos = new float[0], sin = new float[0];
    private int positions;

    RopeTable(ModelConfig c) {
        this.invFreq = Rope.inverseFrequencies(c);
        this.headDim = c.headDim();
        this.half = headDim / 2;
    }

    private void ensure(int maxPos) {
        if (maxPos < positions) return;
        int n = Math.max(maxPos + 1, positions * 2);
        float[] c = new float[n * half], s = new float[n * half];
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < half; i++) {
                // float32 angle, as transformers computes it
                float angle = (float) p * (float) invFreq[i];
                c[p * half + i] = (float) Math.cos(angle);
                s[p * half + i] = (float) Math.sin(angle);
            }
        }
        cos = c;
        sin = s;
        positions = n;
    }

    /** Grows the table to cover every position of a batch; call before {@link #apply} (which may run on many threads). */
    synchronized void prepare(int[] pos) {
        int max = 0;
        for (int p : pos) max = Math.max(max, p);
        ensure(max);
    }

    /** Rotates {@code heads} heads starting at column {@code col} of rows [r0, r1): pairs (i, i + d/2), "rotate_half". */
    void apply(OffHeap buf, int[] pos, int r0, int r1, int rowStride, int col, int heads) {
        FloatBuffer f = buf.floats;
        float[] cos = this.cos, sin = this.sin;
        for (int r = r0; r < r1; r++) {
            int p = pos[r] * half;
            for (int hd = 0; hd < heads; hd++) {
                int o = r * rowStride + col + hd * headDim;
                for (int i = 0; i < half; i++) {
                    float x1 = f.get(o + i), x2 = f.get(o + i + half);
                    float cs = cos[p + i], sn = sin[p + i];
                    f.put(o + i, x1 * cs - x2 * sn);
                    f.put(o + i + half, x2 * cs + x1 * sn);
                }
            }
        }
    }
}
