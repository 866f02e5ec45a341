package io.hydragen.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hydragen.attention.ReferenceAttention;
import io.hydragen.backend.AttentionBlock;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tiled CPU attention against {@link ReferenceAttention} (double precision), over key counts that cross tile and
 * chunk boundaries, with GQA, causal masking, and rows split across several blocks (the Hydragen decomposition).
 */
class CpuAttentionTest {
    static final int HEADS = 4, KV_HEADS = 2, D = 16, ROWS = 70;
    static final int PREFIX = CpuAttention.KEY_CHUNK + 900, SUFFIX = 300;
    static Parallel parallel;
    static CpuKvSegment prefix, suffix;
    static OffHeap q;
    static int[] visible = new int[ROWS];

    @BeforeAll
    static void setUp() {
        parallel = new Parallel(2);
        Random r = new Random(5);
        prefix = segment(PREFIX, r);
        suffix = segment(SUFFIX, r);
        q = new OffHeap((long) ROWS * HEADS * D);
        for (int i = 0; i < ROWS * HEADS * D; i++) q.set(i, (float) r.nextGaussian());
        for (int i = 0; i < ROWS; i++) visible[i] = 1 + r.nextInt(SUFFIX);
    }

    @AfterAll
    static void tearDown() {
        prefix.close();
        suffix.close();
        q.close();
        parallel.close();
    }

    private static CpuKvSegment segment(int n, Random r) {
        CpuKvSegment s = new CpuKvSegment(1, KV_HEADS, D, n);
        s.setLength(n);
        for (int i = 0; i < KV_HEADS * n * D; i++) {
            s.keys[0].set(i, (float) r.nextGaussian());
            s.values[0].set(i, (float) r.nextGaussian());
        }
        return s;
    }

    private static int[] allRows() {
        int[] rows = new int[ROWS];
        for (int i = 0; i < ROWS; i++) rows[i] = i;
        return rows;
    }

    private static float[][] keys(int head, boolean values, int visibleSuffix) {
        float[][] k = new float[PREFIX + visibleSuffix][D];
        for (int j = 0; j < PREFIX + visibleSuffix; j++) {
            CpuKvSegment s = j < PREFIX ? prefix : suffix;
            int slot = j < PREFIX ? j : j - PREFIX;
            OffHeap b = values ? s.values[0] : s.keys[0];
            for (int i = 0; i < D; i++) k[j][i] = b.get((int) s.offset(head, slot) + i);
        }
        return k;
    }

    private static void assertMatchesReference(OffHeap out) {
        double scale = 1 / Math.sqrt(D);
        for (int row = 0; row < ROWS; row += 7) {
            for (int h = 0; h < HEADS; h++) {
                int kvh = h / (HEADS / KV_HEADS);
                float[] query = new float[D];
                for (int i = 0; i < D; i++) query[i] = q.get((row * HEADS + h) * D + i);
                ReferenceAttention.Result want = ReferenceAttention.attend(query, keys(kvh, false, visible[row]), keys(kvh, true, visible[row]),
                        PREFIX + visible[row], scale);
                for (int i = 0; i < D; i++) {
                    assertEquals(want.out()[i], out.get((row * HEADS + h) * D + i), 2e-5, "row " + row + " head " + h + " dim " + i);
                }
            }
        }
    }

    @Test
    void onePathBlockPerRowSetMatchesTheReference() {
        CpuAttention attention = new CpuAttention(HEADS, KV_HEADS, D);
        try (OffHeap out = new OffHeap((long) ROWS * HEADS * D)) {
            attention.forward(0, q, ROWS, List.of(new AttentionBlock(List.of(prefix, suffix), allRows(), visible)), out, parallel);
            assertMatchesReference(out);
        }
    }

    @Test
    void hydragenDecompositionMatchesTheReference() {
        CpuAttention attention = new CpuAttention(HEADS, KV_HEADS, D);
        int[] full = new int[ROWS];
        java.util.Arrays.fill(full, PREFIX);
        try (OffHeap out = new OffHeap((long) ROWS * HEADS * D)) {
            // the prefix batched for all rows, the suffix per row
            List<AttentionBlock> blocks = new java.util.ArrayList<>();
            blocks.add(new AttentionBlock(List.of(prefix), allRows(), full));
            for (int r = 0; r < ROWS; r++) blocks.add(new AttentionBlock(List.of(suffix), new int[] {r}, new int[] {visible[r]}));
            attention.forward(0, q, ROWS, blocks, out, parallel);
            assertMatchesReference(out);
        }
    }
}
