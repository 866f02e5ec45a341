package io.hydragen.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hydragen.backend.AttentionBlock;
import io.hydragen.model.Half;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The decode step's reused buffers change no bit: attention whose merge workspace holds a larger earlier pass equals a
 * fresh instance's (the code before reuse allocated fresh arrays per layer), including a row no block reaches (zeros);
 * and the packed bf16 KV write equals the element-by-element write it replaced ({@link CpuKvSegment#setKey} /
 * {@link CpuKvSegment#setValue}, each one {@link Half#floatToBf16} into {@link Bf16KvLayout}'s index), byte for byte.
 */
class CpuStepReuseTest {
    static final int HEADS = 4, KV_HEADS = 2;

    @ParameterizedTest
    @CsvSource({"fp32, 16, false", "bf16, 24, false", "bf16, 64, true"})
    void mergeOnReusedArraysEqualsAFreshPass(String dtype, int d, boolean kernel) {
        assumeTrue(!kernel || Bf16Native.available(), "no AVX512_BF16 kernel here: " + Bf16Native.unavailableReason());
        CpuDtype kv = CpuDtype.resolveKvCache(dtype, CpuDtype.FP32);
        Random r = new Random(5);
        int big = 40, small = 11;
        try (Parallel parallel = new Parallel(3);
             CpuKvSegment prefix = segment(2300, d, kv, r); CpuKvSegment suffix = segment(300, d, kv, r);
             OffHeap q = new OffHeap((long) big * HEADS * d); OffHeap out = new OffHeap((long) big * HEADS * d)) {
            for (int i = 0; i < big * HEADS * d; i++) q.set(i, (float) r.nextGaussian());
            CpuAttention used = new CpuAttention(HEADS, KV_HEADS, d, kernel);
            used.forward(0, q, big, hydragen(prefix, suffix, big, r), out, parallel);   // fills the workspace with other rows' data

            List<AttentionBlock> blocks = hydragen(prefix, suffix, small - 1, new Random(9));   // the last row: no block
            used.forward(0, q, small, blocks, out, parallel);
            float[] reused = new float[small * HEADS * d];
            out.floats.get(0, reused);
            out.pointer.zero();
            new CpuAttention(HEADS, KV_HEADS, d, kernel).forward(0, q, small, blocks, out, parallel);
            float[] fresh = new float[small * HEADS * d];
            out.floats.get(0, fresh);
            assertArrayEquals(fresh, reused);
            for (int i = (small - 1) * HEADS * d; i < small * HEADS * d; i++) assertEquals(0f, reused[i], "row without keys, at " + i);
        }
    }

    /** A shared prefix block over rows [0, covered) and one suffix block per row, visible lengths random. */
    private static List<AttentionBlock> hydragen(CpuKvSegment prefix, CpuKvSegment suffix, int covered, Random r) {
        List<AttentionBlock> blocks = new ArrayList<>();
        int[] all = new int[covered], full = new int[covered];
        for (int i = 0; i < covered; i++) { all[i] = i; full[i] = prefix.length(); }
        blocks.add(new AttentionBlock(List.of(prefix), all, full));
        for (int i = 0; i < covered; i++) blocks.add(new AttentionBlock(List.of(suffix), new int[] {i}, new int[] {1 + r.nextInt(suffix.length())}));
        return blocks;
    }

    private static CpuKvSegment segment(int n, int d, CpuDtype kv, Random r) { return RandomKv.segment(KV_HEADS, n, d, kv, r); }

    /** allHeads: {@link CpuKvSegment#writeAllHeads} (native where the kernel library loads), else the Java per-head write. */
    @ParameterizedTest
    @CsvSource({"5, 40, false", "16, 16, false", "24, 37, false", "64, 100, false", "128, 33, false",
            "5, 40, true", "16, 16, true", "24, 37, true", "64, 100, true", "128, 33, true"})
    void packedKvWriteEqualsTheElementWiseWrite(int d, int capacity, boolean allHeads) {
        Random r = new Random(d * 31L + capacity);
        int layers = 2, kvHeads = 3;
        try (CpuKvSegment fast = new CpuKvSegment(layers, kvHeads, d, capacity, CpuDtype.BF16);
             CpuKvSegment slow = new CpuKvSegment(layers, kvHeads, d, capacity, CpuDtype.BF16);
             OffHeap src = new OffHeap(2L * kvHeads * d + 7)) {
            for (int n = 0; n < 3 * capacity; n++) {   // slots in random order, some written twice
                int layer = r.nextInt(layers), head = r.nextInt(kvHeads), slot = r.nextInt(capacity);
                for (int i = 0; i < src.length; i++) src.set(i, special(r));
                int keyAt = r.nextInt(4), valueAt = keyAt + (allHeads ? kvHeads : 1) * d + r.nextInt(4);
                if (allHeads) fast.writeAllHeads(layer, slot, src, keyAt, valueAt);
                else fast.write(layer, head, slot, src.floats, keyAt, valueAt);
                for (int h = allHeads ? 0 : head; h < (allHeads ? kvHeads : head + 1); h++) {
                    int k0 = keyAt + (allHeads ? h * d : 0), v0 = valueAt + (allHeads ? h * d : 0);
                    for (int i = 0; i < d; i++) {
                        slow.setKey(layer, h, slot, i, src.get(k0 + i));
                        slow.setValue(layer, h, slot, i, src.get(v0 + i));
                    }
                }
            }
            for (int l = 0; l < layers; l++) {
                assertEquals(bytes(slow.keys[l]), bytes(fast.keys[l]), "keys of layer " + l);
                assertEquals(bytes(slow.values[l]), bytes(fast.values[l]), "values of layer " + l);
            }
        }
    }

    /** Mostly Gaussian, with the values rounding treats specially: halfway ties, NaN, ±∞, ±0, subnormals, the largest. */
    private static float special(Random r) {
        return switch (r.nextInt(20)) {
            case 0 -> Float.intBitsToFloat(0x3f808000);   // 1 + 2^-8: a tie, to even
            case 1 -> Float.intBitsToFloat(0x3f818000);   // a tie, up
            case 2 -> Float.NaN;
            case 3 -> Float.intBitsToFloat(0x7f800001);   // signalling NaN: quietened
            case 4 -> r.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
            case 5 -> r.nextBoolean() ? 0f : -0f;
            case 6 -> Float.MIN_VALUE * (1 + r.nextInt(1000));
            case 7 -> r.nextBoolean() ? Float.MAX_VALUE : -Float.MAX_VALUE;
            default -> (float) r.nextGaussian();
        };
    }

    private static ByteBuffer bytes(OffHeap b) { return b.bytes.duplicate().clear(); }
}
