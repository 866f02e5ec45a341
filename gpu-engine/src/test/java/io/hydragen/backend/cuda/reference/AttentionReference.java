package io.hydragen.backend.cuda.reference;

import io.hydragen.backend.cuda.AttentionPlan;
import io.hydragen.backend.cuda.AttentionShape;

import java.util.Arrays;

import static io.hydragen.backend.cuda.AttentionPlan.*;

/**
 * What the attention kernels compute for a plan, on the CPU: each prefix/masked tile and decode item as exact
 * softmax attention (double) over its key range, written into partial slots exactly as the kernels address them,
 * then the LSE merge of merge.cu. It is the reference the GPU kernels are compared with, and, run against plain
 * attention over a row's whole key sequence, the check that the planner's tiling, split-K and slot bookkeeping
 * are right.
 */
public final class AttentionReference {
    private AttentionReference() {}

    /** Partial results: o [slots][rows][heads][D], lse [slots][rows][heads], unused slots at -inf. */
    public record Partials(float[] o, float[] lse, int slots) {}

    /** Merged output [rows][heads][D] (fp32, before the kernel's bf16 rounding) and lse [rows][heads]. */
    public record Merged(float[] out, float[] lse) {}

    /** @param q [rows][numQHeads][D], bf16-valued */
    public static Partials partials(AttentionPlan p, AttentionShape s, float[] q, KvStore kv, int layer) {
        int rows = p.rows(), hq = s.numQHeads(), d = s.headDim(), g = s.group();
        float[] o = new float[p.slots() * rows * hq * d];
        float[] lse = new float[p.slots() * rows * hq];
        Arrays.fill(lse, Float.NEGATIVE_INFINITY);
        Arrays.fill(o, Float.NaN);  // like the device: never read where lse = -inf
        for (int pass = 0; pass < 2; pass++) {
            long[] tiles = pass == 0 ? p.prefixTiles() : p.maskedTiles();
            boolean masked = pass == 1;
            for (int t = 0; t < tiles.length / TILE_FIELDS; t++) {
                int b = t * TILE_FIELDS;
                int off = (int) tiles[b + T_ROWLIST], ntok = (int) tiles[b + T_NTOK], row0 = (int) tiles[b + T_ROW0];
                int kv0 = (int) tiles[b + T_KV0], kv1 = (int) tiles[b + T_KV1];
                for (int kvh = 0; kvh < s.kvHeads(); kvh++) {
                    for (int sr = row0; sr < Math.min(row0 + 64, ntok * g); sr++) {
                        int tok = sr / g, gg = sr % g;
                        int row = p.rowList()[off + tok], head = kvh * g + gg;
                        int end = masked ? Math.min(kv1, p.limits()[off + tok]) : kv1;
                        int slot = p.rowSlot()[off + tok] + (int) tiles[b + T_CHUNK];
                        attend(q, row, head, s, kv, tiles[b + T_KADDR], tiles[b + T_VADDR], tiles[b + T_HSTRIDE],
                                tiles[b + T_LSTRIDE], layer, kvh, kv0, end, o, lse, slot, rows);
                    }
                }
            }
        }
        long[] it = p.decodeItems();
        for (int i = 0; i < it.length / ITEM_FIELDS; i++) {
            int b = i * ITEM_FIELDS;
            int row = (int) it[b + D_QROW], kv0 = (int) it[b + D_KV0];
            int kv1 = Math.min((int) it[b + D_KV1], kv0 + p.decodeChunk());
            for (int kvh = 0; kvh < s.kvHeads(); kvh++) {
                for (int gg = 0; gg < g; gg++) {
                    attend(q, row, kvh * g + gg, s, kv, it[b + D_KADDR], it[b + D_VADDR], it[b + D_HSTRIDE], it[b + D_LSTRIDE],
                            layer, kvh, kv0, kv1, o, lse, (int) it[b + D_SLOT], rows);
                }
            }
        }
        return new Partials(o, lse, p.slots());
    }

    private static void attend(float[] q, int row, int head, AttentionShape s, KvStore kv, long kAddr, long vAddr, long hs,
                               long ls, int layer, int kvh, int from, int to, float[] o, float[] lse, int slot, int rows) {
        int d = s.headDim(), hq = s.numQHeads();
        int cell = (slot * rows + row) * hq + head;
        if (!Float.isInfinite(lse[cell]) || !Float.isNaN(o[cell * d])) {
            throw new AssertionError("partial slot " + slot + " of row " + row + " head " + head + " written twice");
        }
        if (to <= from) {
            Arrays.fill(o, cell * d, cell * d + d, 0f);
            return;  // lse stays -inf
        }
        double scale = 1.0 / Math.sqrt(d);
        double[] sc = new double[to - from];
        double max = Double.NEGATIVE_INFINITY;
        long base = layer * ls + kvh * hs;
        KvStore.Slice ks = kv.resolve(kAddr), vs = kv.resolve(vAddr);
        float[] kd = ks.data(), vd = vs.data();
        int kb = (int) (ks.index() + base), vb = (int) (vs.index() + base);
        int qb = (row * hq + head) * d;
        for (int t = from; t < to; t++) {
            double dot = 0;
            for (int i = 0; i < d; i++) dot += (double) q[qb + i] * kd[kb + t * d + i];
            sc[t - from] = dot * scale;
            max = Math.max(max, sc[t - from]);
        }
        double sum = 0;
        for (int t = 0; t < sc.length; t++) {
            sc[t] = Math.exp(sc[t] - max);
            sum += sc[t];
        }
        for (int i = 0; i < d; i++) {
            double acc = 0;
            for (int t = from; t < to; t++) acc += sc[t - from] * vd[vb + t * d + i];
            o[cell * d + i] = (float) (acc / sum);
        }
        lse[cell] = (float) (max + Math.log(sum));
    }

    /** merge.cu: o = Σ exp(lse_i − lse)·o_i over slots with lse_i > −inf, lse = log Σ exp(lse_i). */
    public static Merged merge(Partials p, int rows, int heads, int d) {
        float[] out = new float[rows * heads * d], lse = new float[rows * heads];
        for (int rh = 0; rh < rows * heads; rh++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < p.slots(); i++) m = Math.max(m, p.lse()[i * rows * heads + rh]);
            if (m == Double.NEGATIVE_INFINITY) {
                lse[rh] = Float.NEGATIVE_INFINITY;
                continue;
            }
            double wsum = 0;
            double[] acc = new double[d];
            for (int i = 0; i < p.slots(); i++) {
                float l = p.lse()[i * rows * heads + rh];
                if (l == Float.NEGATIVE_INFINITY) continue;
                double wgt = Math.exp(l - m);
                wsum += wgt;
                for (int j = 0; j < d; j++) acc[j] += wgt * p.o()[(i * rows * heads + rh) * d + j];
            }
            for (int j = 0; j < d; j++) out[rh * d + j] = (float) (acc[j] / wsum);
            lse[rh] = (float) (m + Math.log(wsum));
        }
        return new Merged(out, lse);
    }
}
