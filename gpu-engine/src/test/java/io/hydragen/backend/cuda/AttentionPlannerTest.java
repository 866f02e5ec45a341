package io.hydragen.backend.cuda;

import io.hydragen.attention.ReferenceAttention;
import io.hydragen.backend.cuda.reference.AttentionReference;
import io.hydragen.backend.cuda.reference.Bf16;
import io.hydragen.backend.cuda.reference.KvStore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The attention planner's tiling, split-K and partial-slot bookkeeping, checked on the CPU: the kernels' semantics
 * (AttentionReference, one exact attention per tile or item, then the LSE merge) applied to the plan must equal
 * plain attention of every row over the concatenation of its blocks' visible keys (ReferenceAttention).
 */
class AttentionPlannerTest {
    private static final int LAYERS = 2, LAYER = 1;

    /** A test world: segments with random KV, blocks over them, random queries. */
    private static final class World {
        final AttentionShape shape;
        final KvStore store;
        final Random rnd;
        final List<AttentionPlanner.Block> blocks = new ArrayList<>();
        int rows;

        World(AttentionShape shape, long seed) {
            this.shape = shape;
            this.store = new KvStore(LAYERS, shape.kvHeads(), shape.headDim());
            this.rnd = new Random(seed);
        }

        SegmentRef segment(int capacity, int length) { return store.add(store.random(rnd, capacity), capacity, length); }

        void block(List<SegmentRef> segs, int[] rows, int[] visible) { blocks.add(new AttentionPlanner.Block(segs, rows, visible)); }

        float[] queries() { return Bf16.random(rnd, rows * shape.numQHeads() * shape.headDim(), 1f); }
    }

    /** Plain attention of each row over its blocks (each block's keys concatenated), merged over blocks in double. */
    private static float[] expected(World w, float[] q) {
        AttentionShape s = w.shape;
        int d = s.headDim(), hq = s.numQHeads();
        float[] out = new float[w.rows * hq * d];
        double scale = 1.0 / Math.sqrt(d);
        for (int row = 0; row < w.rows; row++) {
            for (int head = 0; head < hq; head++) {
                int kvh = head / s.group();
                List<float[]> keys = new ArrayList<>(), vals = new ArrayList<>();
                for (AttentionPlanner.Block b : w.blocks) {
                    for (int i = 0; i < b.rows().length; i++) {
                        if (b.rows()[i] != row) continue;
                        for (int j = 0; j < b.segments().size(); j++) {
                            SegmentRef seg = b.segments().get(j);
                            int n = j < b.segments().size() - 1 ? seg.length() : Math.min(b.visibleInLast()[i], seg.length());
                            for (int t = 0; t < n; t++) {
                                keys.add(w.store.vector(seg, false, LAYER, kvh, t));
                                vals.add(w.store.vector(seg, true, LAYER, kvh, t));
                            }
                        }
                    }
                }
                float[] qv = new float[d];
                System.arraycopy(q, (row * hq + head) * d, qv, 0, d);
                ReferenceAttention.Result r = ReferenceAttention.attend(qv, keys.toArray(new float[0][]), vals.toArray(new float[0][]),
                        keys.size(), scale);
                System.arraycopy(r.out(), 0, out, (row * hq + head) * d, d);
            }
        }
        return out;
    }

    private static void check(World w, int multiprocessors, boolean stable, String what) {
        AttentionPlanner planner = new AttentionPlanner(w.shape, multiprocessors, stable);
        AttentionPlan plan = planner.plan(w.blocks, w.rows);
        float[] q = w.queries();
        AttentionReference.Partials parts = AttentionReference.partials(plan, w.shape, q, w.store, LAYER);
        AttentionReference.Merged m = AttentionReference.merge(parts, w.rows, w.shape.numQHeads(), w.shape.headDim());
        float[] want = expected(w, q);
        double err = Bf16.relError(m.out(), want);
        assertTrue(err < 1e-5, what + " " + plan + ": relative error " + err);
        checkRecords(plan, planner);
    }

    /** Structural invariants of the tables the kernels trust without checking. */
    private static void checkRecords(AttentionPlan p, AttentionPlanner planner) {
        long[] t = p.prefixTiles();
        for (long[] tiles : new long[][] {p.prefixTiles(), p.maskedTiles()}) {
            for (int i = 0; i < tiles.length; i += AttentionPlan.TILE_FIELDS) {
                assertEquals(0, tiles[i + AttentionPlan.T_ROW0] % 64, "tile rows start on a 64-row boundary");
                assertTrue(tiles[i + AttentionPlan.T_KV0] < tiles[i + AttentionPlan.T_KV1], "no empty tile is launched");
                assertTrue(tiles[i + AttentionPlan.T_ROWLIST] + tiles[i + AttentionPlan.T_NTOK] <= p.rowList().length);
                assertEquals(0, tiles[i + AttentionPlan.T_KV0] % 64, "split boundaries on key tiles");
            }
        }
        for (int i = 0; i < p.decodeItems().length; i += AttentionPlan.ITEM_FIELDS) {
            long kv0 = p.decodeItems()[i + AttentionPlan.D_KV0], kv1 = p.decodeItems()[i + AttentionPlan.D_KV1];
            assertTrue(kv0 <= kv1 && kv1 - kv0 <= p.decodeChunk(), "decode item within one chunk");
            assertTrue(p.decodeItems()[i + AttentionPlan.D_SLOT] < p.slots());
        }
        for (int s : p.rowSlot()) assertTrue(s < p.slots());
        assertTrue(planner.tileSharedBytes() <= 227 * 1024 && planner.decodeSharedBytes() <= 227 * 1024);
    }

    static List<Arguments> shapes() {
        return List.of(Arguments.of(4, 2, 16), Arguments.of(6, 2, 16), Arguments.of(8, 8, 32), Arguments.of(32, 8, 128),
                Arguments.of(16, 2, 64));
    }

    /** Hydragen decode over a two-level tree: a root, two documents, each sequence's own suffix. */
    private static World hydragenDecode(AttentionShape s, int perDoc, long seed) {
        World w = new World(s, seed);
        int n = 2 * perDoc;
        w.rows = n;
        SegmentRef root = w.segment(300, 300);
        SegmentRef[] docs = {w.segment(70, 70), w.segment(130, 130)};
        int[] all = new int[n], allVis = new int[n];
        for (int r = 0; r < n; r++) { all[r] = r; allVis[r] = 300; }
        w.block(List.of(root), all, allVis);
        for (int dIdx = 0; dIdx < 2; dIdx++) {
            int[] rows = new int[perDoc], vis = new int[perDoc];
            for (int i = 0; i < perDoc; i++) { rows[i] = dIdx * perDoc + i; vis[i] = docs[dIdx].length(); }
            w.block(List.of(docs[dIdx]), rows, vis);
        }
        for (int r = 0; r < n; r++) {
            int len = 1 + w.rnd.nextInt(40);
            SegmentRef own = w.segment(48, len);
            w.block(List.of(own), new int[] {r}, new int[] {len});
        }
        return w;
    }

    @ParameterizedTest(name = "hq={0} kv={1} d={2}")
    @MethodSource("shapes")
    void hydragenDecodeEqualsAttentionOverTheWholePath(int hq, int kv, int d) {
        AttentionShape s = new AttentionShape(hq, kv, d);
        for (int perDoc : new int[] {1, 3, 12}) {
            for (int sms : new int[] {4, 132}) {
                check(hydragenDecode(s, perDoc, 31L * perDoc + sms), sms, false, "decode perDoc=" + perDoc + " sms=" + sms);
                check(hydragenDecode(s, perDoc, 7L * perDoc + sms), sms, true, "stable decode perDoc=" + perDoc + " sms=" + sms);
            }
        }
    }

    @ParameterizedTest(name = "hq={0} kv={1} d={2}")
    @MethodSource("shapes")
    void perSequenceBlocksEqualTheSameAttention(int hq, int kv, int d) {
        AttentionShape s = new AttentionShape(hq, kv, d);
        World w = new World(s, 11);
        int n = 5;
        w.rows = n;
        SegmentRef root = w.segment(1500, 1500), doc = w.segment(90, 90);
        for (int r = 0; r < n; r++) {
            int len = 1 + w.rnd.nextInt(60);
            SegmentRef own = w.segment(64, len);
            w.block(List.of(root, doc, own), new int[] {r}, new int[] {len});
        }
        check(w, 132, false, "per-sequence");
        check(w, 132, true, "per-sequence stable");
    }

    @ParameterizedTest(name = "hq={0} kv={1} d={2}")
    @MethodSource("shapes")
    void chunkedCausalPrefillEqualsMaskedAttention(int hq, int kv, int d) {
        AttentionShape s = new AttentionShape(hq, kv, d);
        World w = new World(s, 5);
        // piece 1: slots [40, 140) of a segment whose first 40 tokens an earlier pass wrote, under a shared root
        // piece 2: slots [0, 23) of a sibling segment; piece 3: a single token (slot 9) of a third segment
        SegmentRef root = w.segment(200, 200);
        SegmentRef a = w.segment(160, 140), b = w.segment(30, 23), c = w.segment(12, 10);
        int[][] pieces = {{40, 140}, {0, 23}, {9, 10}};
        SegmentRef[] segs = {a, b, c};
        int row = 0;
        List<Integer> underRoot = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            int n = pieces[p][1] - pieces[p][0];
            int[] rows = new int[n], vis = new int[n];
            for (int i = 0; i < n; i++) {
                rows[i] = row + i;
                vis[i] = pieces[p][0] + i + 1;
                if (p < 2) underRoot.add(row + i);
            }
            w.block(List.of(segs[p]), rows, vis);
            row += n;
        }
        w.rows = row;
        int[] r = underRoot.stream().mapToInt(Integer::intValue).toArray();
        int[] vis = new int[r.length];
        java.util.Arrays.fill(vis, 200);
        w.block(List.of(root), r, vis);
        check(w, 132, false, "prefill");
        check(w, 8, false, "prefill, few SMs");
    }

    @Test
    void rowsWithoutVisibleKeysGetZeros() {
        AttentionShape s = new AttentionShape(4, 2, 16);
        World w = new World(s, 3);
        w.rows = 3;
        SegmentRef empty = w.segment(16, 0), some = w.segment(16, 5);
        w.block(List.of(empty), new int[] {0, 1, 2}, new int[] {0, 0, 0});
        w.block(List.of(some), new int[] {1}, new int[] {0});
        w.block(List.of(some), new int[] {2}, new int[] {5});
        check(w, 132, false, "empty");
        check(w, 132, true, "empty stable");
        AttentionPlan p = new AttentionPlanner(s, 132, false).plan(w.blocks, w.rows);
        float[] q = w.queries();
        AttentionReference.Merged m = AttentionReference.merge(AttentionReference.partials(p, s, q, w.store, LAYER), 3, 4, 16);
        for (int i = 0; i < 2 * 4 * 16; i++) assertEquals(0f, m.out()[i], "rows 0 and 1 see no key");
    }

    @Test
    void stableGridKeepsTheSignatureWhileSuffixesGrow() {
        AttentionShape s = new AttentionShape(32, 8, 128);
        World w1 = hydragenDecode(s, 8, 1);
        AttentionPlanner planner = new AttentionPlanner(s, 132, true);
        AttentionPlan p1 = planner.plan(w1.blocks, w1.rows);
        // the next step: every suffix one token longer, same capacities
        List<AttentionPlanner.Block> next = new ArrayList<>();
        for (AttentionPlanner.Block b : w1.blocks) {
            List<SegmentRef> segs = new ArrayList<>();
            for (SegmentRef r : b.segments()) {
                boolean own = b.rows().length == 1;
                segs.add(own ? new SegmentRef(r.kAddr(), r.vAddr(), r.capacity(), r.length() + 1, r.headStride(), r.layerStride()) : r);
            }
            int[] vis = b.visibleInLast().clone();
            if (b.rows().length == 1) vis[0]++;
            next.add(new AttentionPlanner.Block(segs, b.rows(), vis));
        }
        AttentionPlan p2 = planner.plan(next, w1.rows);
        assertEquals(p1.signature(), p2.signature());
        assertTrue(!p1.equals(p2), "the tables themselves change");
    }

    @Test
    void sharedSegmentsUseTensorCoresAndSplitLongPrefixes() {
        AttentionShape s = new AttentionShape(32, 8, 128);
        World w = new World(s, 2);
        int n = 64;
        w.rows = n;
        SegmentRef prefix = w.segment(16384, 16384);
        int[] rows = new int[n], vis = new int[n];
        for (int r = 0; r < n; r++) { rows[r] = r; vis[r] = 16384; }
        w.block(List.of(prefix), rows, vis);
        for (int r = 0; r < n; r++) w.block(List.of(w.segment(256, 128)), new int[] {r}, new int[] {128});
        AttentionPlan p = new AttentionPlanner(s, 132, true).plan(w.blocks, n);
        // 64 sequences x 4 heads per KV head = 256 stacked rows = 4 row tiles x 8 KV heads = 32 blocks: split 8 ways
        assertEquals(4 * 8, p.prefixTileCount());
        assertEquals(0, p.maskedTileCount());
        assertEquals(n, p.decodeItemCount(), "one item per sequence suffix (chunk of 1024 keys)");
        assertEquals(9, p.slots(), "8 prefix splits + 1 suffix");
    }
    /** A shared prefix of {@code prefix} keys under {@code batch} rows, each with its own 128-key suffix. */
    private static AttentionPlan prefixPlan(AttentionPlanner planner, AttentionShape s, int batch, int prefix) {
        World w = new World(s, 2);
        w.rows = batch;
        SegmentRef seg = w.segment(prefix, prefix);
        int[] rows = new int[batch], vis = new int[batch];
        for (int r = 0; r < batch; r++) { rows[r] = r; vis[r] = prefix; }
        w.block(List.of(seg), rows, vis);
        return planner.plan(w.blocks, batch);
    }

    /** Splits fill whole waves (H100/H200: 132 SMs, 2 tile blocks resident per SM) instead of ~2 blocks per SM. */
    @Test
    void prefixSplitsFillWholeWavesOn132Sms() {
        AttentionShape s = new AttentionShape(32, 8, 128);
        AttentionPlanner h100 = new AttentionPlanner(s, 132, 2, true);
        assertEquals(264, h100.waveSlots());
        // {batch, prefix, expected tile records (row tiles x splits), expected splits}
        int[][] cases = {
                {256, 16384, 16 * 2, 2},   // 128 tiles: 2 splits = 256 blocks, 0.97 waves (the old rule: 3 = 1.45 waves)
                {64, 16384, 4 * 8, 8},     // 32 tiles: 8 splits = 256 blocks, 0.97 waves
                {256, 4096, 16 * 2, 2},
                {1024, 16384, 64, 1},      // 512 tiles: already 1.94 waves; splitting adds no whole wave
                {4, 4096, 8, 8},           // 8 tiles: split as far as MAX_SPLITS
        };
        for (int[] c : cases) {
            AttentionPlan p = prefixPlan(h100, s, c[0], c[1]);
            assertEquals(c[2], p.prefixTileCount(), "tile records at batch " + c[0] + ", prefix " + c[1]);
            assertEquals(c[3], p.slots(), "splits at batch " + c[0] + ", prefix " + c[1]);
            double waves = h100.waves(p);
            double fill = waves / Math.ceil(waves);
            assertTrue(fill > 0.9 || waves < 1, "batch " + c[0] + ", prefix " + c[1] + ": " + waves + " waves leaves the last one "
                    + Math.round(100 * (1 - fill)) + "% empty");
        }
        assertEquals(256.0 / 264, h100.waves(prefixPlan(h100, s, 256, 16384)), 1e-9);
        // the old rule, ceil(2 * SMs / tiles) = 3 splits, would have been 384 blocks for 264 slots
        assertEquals(3, AttentionPlanner.ceil(2 * 132, 128));
        // small devices and shapes: a full wave without splitting stays unsplit; a short segment is not split finer
        // than MIN_SPLIT_KEYS
        AttentionPlanner small = new AttentionPlanner(s, 4, 2, true);
        assertEquals(1, small.splitsFor(8, 1024, 8), "8 tiles fill the 8 slots");
        assertEquals(2, small.splitsFor(4, 1024, 8), "4 tiles: 2 splits fill the wave");
        assertEquals(1, small.splitsFor(1, 200, 8), "under MIN_SPLIT_KEYS");
        assertEquals(1, new AttentionPlanner(s, 132, 1, true).splitsFor(132, 4096, 8), "one wave exactly");
        assertEquals(2, new AttentionPlanner(s, 132, 1, true).splitsFor(66, 4096, 8));
    }
}
