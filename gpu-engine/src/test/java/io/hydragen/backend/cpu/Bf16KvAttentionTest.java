package io.hydragen.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hydragen.attention.ReferenceAttention;
import io.hydragen.backend.AttentionBlock;
import io.hydragen.model.Half;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Attention over bf16 KV segments against {@link ReferenceAttention} (double precision) on the same keys and values
 * rounded to bf16, so what remains is the products' own error: none beyond fp32 rounding on the widened-tile path, on
 * the AVX512_BF16 kernel with queries and probabilities split into hi + lo bf16 parts ({@link Bf16Split})
 * the low parts' rounding (2^-17 relative), and without the split the rounding of queries and probabilities to bf16
 * (8-bit mantissa), about 2^-9 relative.
 * Segment lengths are chosen so tiles start off the 16-slot blocks (a 2048-key chunk boundary falls 7 slots into a
 * block of the second segment, an odd shift) and a head dim of 24 pads the value blocks. At head dim 64 the products
 * run on AMX tiles where the CPU has them (the per-row blocks' 2 rows padded to 32).
 */
class Bf16KvAttentionTest {
    static final int HEADS = 4, KV_HEADS = 2, ROWS = 70;
    static final int PREFIX = CpuAttention.KEY_CHUNK + 905, SUFFIX = 2100;
    /** The widened path differs from the reference only by fp32 rounding (as CpuAttentionTest's 2e-5). */
    static final double WIDENED_TOLERANCE = 2e-5;
    /**
     * Kernel: queries and probabilities rounded to bf16, on outputs of order 0.1 (averages of ~5000 unit values); the
     * worst measured when written was 3.0e-4 (d 16 and 24), the bound leaves room for other rounding orders.
     */
    static final double KERNEL_TOLERANCE = 2e-3;
    /** Kernel with Q and P split: the worst measured when written was 4.8e-7 (d 64, AMX) against 3e-4 rounded. */
    static final double SPLIT_KERNEL_TOLERANCE = 2e-6;
    /**
     * One block against the Hydragen split of the same keys: the probabilities are rounded to bf16 the same way however
     * the keys are split (base-2 softmax with an integer running max), so only fp32 accumulation order differs. With a
     * natural-base running max the kernel paths differed by about 1e-4 here, enough to flip greedy tokens of a row
     * between batches.
     */
    static final double SPLIT_TOLERANCE = 1e-5;

    @ParameterizedTest
    @CsvSource({"16, false, none", "24, false, none", "16, true, none", "24, true, none", "64, true, none", "16, true, all", "24, true, all",
            "64, true, all", "64, true, q", "24, true, p"})
    void onePathAndHydragenBlocksMatchTheReference(int d, boolean kernel, String split) {
        assumeTrue(!kernel || Bf16Native.available(), "no AVX512_BF16 kernel here: " + Bf16Native.unavailableReason());
        Random r = new Random(7);
        try (Parallel parallel = new Parallel(2);
             CpuKvSegment prefix = segment(PREFIX, d, r); CpuKvSegment suffix = segment(SUFFIX, d, r);
             OffHeap q = new OffHeap((long) ROWS * HEADS * d); OffHeap out = new OffHeap((long) ROWS * HEADS * d)) {
            for (int i = 0; i < ROWS * HEADS * d; i++) q.set(i, (float) r.nextGaussian());
            int[] visible = new int[ROWS], rows = new int[ROWS], full = new int[ROWS];
            for (int i = 0; i < ROWS; i++) { visible[i] = 1 + r.nextInt(SUFFIX); rows[i] = i; full[i] = PREFIX; }
            CpuAttention attention = new CpuAttention(HEADS, KV_HEADS, d, kernel, Bf16Split.parse(split));
            boolean both = Bf16Split.parse(split).queries() && Bf16Split.parse(split).probabilities();
            double tolerance = !kernel ? WIDENED_TOLERANCE : both ? SPLIT_KERNEL_TOLERANCE : KERNEL_TOLERANCE;

            attention.forward(0, q, ROWS, List.of(new AttentionBlock(List.of(prefix, suffix), rows, visible)), out, parallel);
            double onePath = worstError(q, out, prefix, suffix, visible, d);
            float[] oneBlock = new float[ROWS * HEADS * d];
            out.floats.get(0, oneBlock);

            List<AttentionBlock> blocks = new ArrayList<>();
            blocks.add(new AttentionBlock(List.of(prefix), rows, full));
            for (int i = 0; i < ROWS; i++) blocks.add(new AttentionBlock(List.of(suffix), new int[] {i}, new int[] {visible[i]}));
            attention.forward(0, q, ROWS, blocks, out, parallel);
            double hydragen = worstError(q, out, prefix, suffix, visible, d);
            double apart = 0;   // the same rows, keys split differently (as batch mates split them): fp32 rounding apart
            for (int i = 0; i < oneBlock.length; i++) apart = Math.max(apart, Math.abs(oneBlock[i] - out.get(i)));

            String path = !kernel ? "widened tiles" : d % 32 == 0 && Bf16Native.amxAvailable() ? "AMX tiles" : "AVX512_BF16 kernel";
            System.out.printf("bf16 KV attention, d=%d, %s, split %s: largest error %.2e (one block), %.2e (Hydragen blocks), %.2e between the two%n",
                    d, path, split, onePath, hydragen, apart);
            assertTrue(onePath < tolerance, "one block: " + onePath);
            assertTrue(hydragen < tolerance, "Hydragen blocks: " + hydragen);
            assertTrue(apart < SPLIT_TOLERANCE, "one block against Hydragen blocks: " + apart);
        }
    }

    @Test
    void keysAndValuesAreStoredRoundedAndCopiedExactly() {
        Random r = new Random(3);
        int d = 24;
        try (CpuKvSegment a = segment(40, d, r); CpuKvSegment b = new CpuKvSegment(1, KV_HEADS, d, 50, CpuDtype.BF16)) {
            a.setKey(0, 1, 5, 3, 1.00390625f);   // 1 + 2^-8: halfway between two bf16 values, rounds to even (1.0)
            assertEquals(1.0f, a.key(0, 1, 5, 3));
            a.setValue(0, 1, 5, 3, 1.01171875f);   // 1 + 3·2^-8: halfway, rounds to even (1 + 2^-6)
            assertEquals(1.015625f, a.value(0, 1, 5, 3));
            b.copyFrom(a, 3, 17, 20);
            for (int h = 0; h < KV_HEADS; h++) {
                for (int s = 0; s < 20; s++) {
                    for (int i = 0; i < d; i++) {
                        assertEquals(a.key(0, h, 3 + s, i), b.key(0, h, 17 + s, i), "key head " + h + " slot " + s + " dim " + i);
                        assertEquals(a.value(0, h, 3 + s, i), b.value(0, h, 17 + s, i), "value head " + h + " slot " + s + " dim " + i);
                    }
                }
            }
        }
    }

    private static CpuKvSegment segment(int n, int d, Random r) { return RandomKv.segment(KV_HEADS, n, d, CpuDtype.BF16, r); }

    /** Largest |out - reference| over every 7th row, the reference on the stored (bf16-rounded) keys and values. */
    private static double worstError(OffHeap q, OffHeap out, CpuKvSegment prefix, CpuKvSegment suffix, int[] visible, int d) {
        double worst = 0, scale = 1 / Math.sqrt(d);
        for (int row = 0; row < ROWS; row += 7) {
            for (int h = 0; h < HEADS; h++) {
                int kvh = h / (HEADS / KV_HEADS), n = PREFIX + visible[row];
                float[][] k = new float[n][d], v = new float[n][d];
                for (int j = 0; j < n; j++) {
                    CpuKvSegment s = j < PREFIX ? prefix : suffix;
                    int slot = j < PREFIX ? j : j - PREFIX;
                    for (int i = 0; i < d; i++) { k[j][i] = s.key(0, kvh, slot, i); v[j][i] = s.value(0, kvh, slot, i); }
                }
                float[] query = new float[d];
                for (int i = 0; i < d; i++) query[i] = q.get((row * HEADS + h) * d + i);
                ReferenceAttention.Result want = ReferenceAttention.attend(query, k, v, n, scale);
                for (int i = 0; i < d; i++) {
                    float got = out.get((row * HEADS + h) * d + i);
                    assertTrue(Float.isFinite(got), "row " + row + " head " + h + " dim " + i + ": " + got);
                    worst = Math.max(worst, Math.abs(want.out()[i] - got));
                }
            }
        }
        return worst;
    }

    /** The stored values are bf16: every one round-trips through bf16 unchanged. */
    @Test
    void storedValuesAreBf16() {
        try (CpuKvSegment s = segment(3, 16, new Random(1))) {
            for (int i = 0; i < 16; i++) {
                float k = s.key(0, 0, 2, i);
                assertEquals(k, Half.bf16ToFloat(Half.floatToBf16(k)));
            }
        }
    }
}
