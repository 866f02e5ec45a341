package io.hydragen.backend.cuda;

import io.hydragen.backend.cuda.reference.AttentionReference;
import io.hydragen.backend.cuda.reference.Bf16;
import io.hydragen.backend.cuda.reference.KvStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * prefix_attention, prefill_attention, decode_attention and merge on the GPU against AttentionReference for the
 * same plan: every partial slot (O and LSE) and the merged bf16 output, on random KV in real device segments.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttentionKernelsGpuTest {
    private static final int LAYERS = 3, LAYER = 2;
    private Gpu gpu;
    private final List<AutoCloseable> owned = new ArrayList<>();

    @BeforeAll
    void open() { gpu = Gpu.openOrNull(); }

    @BeforeEach
    void needGpu() { Gpu.require(); }

    @AfterEach
    void free() throws Exception {
        for (AutoCloseable c : owned) c.close();
        owned.clear();
    }

    @AfterAll
    void close() { if (gpu != null) gpu.close(); }

    /** Segments in device memory, mirrored in a KvStore at the same addresses. */
    private final class World {
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

        SegmentRef segment(int capacity, int length) {
            CudaKvSegment s = CudaKvSegment.allocate(gpu.device, LAYERS, shape.kvHeads(), shape.headDim(), capacity);
            owned.add(s);
            float[] data = store.random(rnd, capacity);
            s.buffer().upload(Bf16.bits(data), 0);
            s.setLength(length);
            SegmentRef ref = store.add(s.buffer().address(0), data, capacity, length);
            assertEquals(s.ref(), ref, "device layout equals the reference layout");
            return ref;
        }

        void block(List<SegmentRef> segs, int[] rows, int[] visible) { blocks.add(new AttentionPlanner.Block(segs, rows, visible)); }
    }

    private void run(World w, boolean stable, String what) {
        AttentionShape s = w.shape;
        int rows = w.rows, hq = s.numQHeads(), d = s.headDim();
        AttentionPlan p = new AttentionPlanner(s, gpu.device.info().multiprocessors(), stable).plan(w.blocks, rows);
        float[] q = Bf16.random(w.rnd, rows * hq * d, 1f);
        long cells = (long) p.slots() * rows * hq;
        try (DeviceBuffer dq = gpu.bf16(q, "q"); DeviceBuffer oPart = gpu.poisoned(cells * d, "oPart");
             DeviceBuffer lsePart = gpu.buffer(4 * cells, "lsePart");
             DeviceBuffer rowList = gpu.ints(nonEmpty(p.rowList()), "rowList"); DeviceBuffer limits = gpu.ints(nonEmpty(p.limits()), "limits");
             DeviceBuffer rowSlot = gpu.ints(nonEmpty(p.rowSlot()), "rowSlot");
             DeviceBuffer prefix = longs(p.prefixTiles()); DeviceBuffer masked = longs(p.maskedTiles()); DeviceBuffer items = longs(p.decodeItems());
             DeviceBuffer out = gpu.buffer(2L * rows * hq * d, "out"); DeviceBuffer lse = gpu.poisoned((long) rows * hq, "lse")) {
            lsePart.fill32(Float.floatToRawIntBits(Float.NEGATIVE_INFINITY), 0, cells);
            new PrefixAttentionKernel(gpu.lib).launch(s, dq, prefix, p.prefixTileCount(), rowList, rowSlot, oPart, lsePart, rows, LAYER);
            new PrefillAttentionKernel(gpu.lib).launch(s, dq, masked, p.maskedTileCount(), rowList, limits, rowSlot, oPart, lsePart, rows, LAYER);
            new DecodeAttentionKernel(gpu.lib).launch(s, dq, items, p.decodeItemCount(), oPart, lsePart, rows, p.decodeChunk(), LAYER);
            new MergeKernel(gpu.lib).launch(oPart, lsePart, p.slots(), rows, hq, d, out, lse);

            AttentionReference.Partials ref = AttentionReference.partials(p, s, q, w.store, LAYER);
            float[] gotO = gpu.readFloats(oPart, (int) (cells * d)), gotL = gpu.readFloats(lsePart, (int) cells);
            List<Float> gotCells = new ArrayList<>(), refCells = new ArrayList<>();
            for (int c = 0; c < cells; c++) {
                if (ref.lse()[c] == Float.NEGATIVE_INFINITY) {
                    assertEquals(Float.NEGATIVE_INFINITY, gotL[c], what + ": slot cell " + c + " should be empty");
                    continue;
                }
                assertEquals(ref.lse()[c], gotL[c], 2e-3, what + ": partial lse of cell " + c);
                for (int i = 0; i < d; i++) {
                    gotCells.add(gotO[c * d + i]);
                    refCells.add(ref.o()[c * d + i]);
                }
            }
            double partErr = Bf16.relError(toArray(gotCells), toArray(refCells));
            assertTrue(partErr < 1e-2, what + " " + p + ": partial outputs relative error " + partErr);

            AttentionReference.Merged m = AttentionReference.merge(ref, rows, hq, d);
            double err = Bf16.relError(gpu.readBf16(out, rows * hq * d), m.out());
            assertTrue(err < 1e-2, what + " " + p + ": merged output relative error " + err);
            float[] gotLse = gpu.readFloats(lse, rows * hq);
            for (int i = 0; i < rows * hq; i++) {
                if (m.lse()[i] == Float.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, gotLse[i]);
                else assertEquals(m.lse()[i], gotLse[i], 2e-3, what + ": merged lse " + i);
            }
        }
    }

    private DeviceBuffer longs(long[] v) {
        DeviceBuffer b = gpu.buffer(8L * Math.max(1, v.length), "table");
        b.upload(v);
        return b;
    }

    private static int[] nonEmpty(int[] a) { return a.length == 0 ? new int[1] : a; }

    private static float[] toArray(List<Float> l) {
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }

    private World hydragenDecode(AttentionShape s, int perDoc, int rootLen, long seed) {
        World w = new World(s, seed);
        int n = 2 * perDoc;
        w.rows = n;
        SegmentRef root = w.segment(rootLen, rootLen);
        SegmentRef[] docs = {w.segment(77, 77), w.segment(130, 130)};
        int[] all = new int[n], allVis = new int[n];
        for (int r = 0; r < n; r++) { all[r] = r; allVis[r] = rootLen; }
        w.block(List.of(root), all, allVis);
        for (int di = 0; di < 2; di++) {
            int[] rows = new int[perDoc], vis = new int[perDoc];
            for (int i = 0; i < perDoc; i++) { rows[i] = di * perDoc + i; vis[i] = docs[di].length(); }
            w.block(List.of(docs[di]), rows, vis);
        }
        for (int r = 0; r < n; r++) {
            int len = 1 + w.rnd.nextInt(100);
            w.block(List.of(w.segment(160, len)), new int[] {r}, new int[] {len});
        }
        return w;
    }

    @Test
    void hydragenDecodeGqa128() {
        AttentionShape s = new AttentionShape(32, 8, 128);
        run(hydragenDecode(s, 24, 2000, 1), false, "decode d128");
        run(hydragenDecode(s, 3, 700, 2), true, "decode d128 stable, few rows");
    }

    @Test
    void hydragenDecodeSmallHeads() {
        run(hydragenDecode(new AttentionShape(4, 2, 16), 10, 300, 3), false, "decode d16 g2");
        run(hydragenDecode(new AttentionShape(6, 2, 16), 10, 300, 4), false, "decode d16 g3");
        run(hydragenDecode(new AttentionShape(8, 8, 32), 20, 300, 5), false, "decode d32 mha");
        run(hydragenDecode(new AttentionShape(16, 2, 64), 4, 500, 6), false, "decode d64 g8");
    }

    @Test
    void chunkedCausalPrefill() {
        for (AttentionShape s : new AttentionShape[] {new AttentionShape(8, 2, 64), new AttentionShape(4, 2, 16),
                new AttentionShape(32, 8, 128)}) {
            World w = new World(s, 9);
            SegmentRef root = w.segment(333, 333);
            SegmentRef a = w.segment(300, 260), b = w.segment(40, 23);
            int[][] pieces = {{60, 260}, {0, 23}};
            SegmentRef[] segs = {a, b};
            int row = 0;
            List<Integer> under = new ArrayList<>();
            for (int p = 0; p < 2; p++) {
                int n = pieces[p][1] - pieces[p][0];
                int[] rows = new int[n], vis = new int[n];
                for (int i = 0; i < n; i++) {
                    rows[i] = row + i;
                    vis[i] = pieces[p][0] + i + 1;
                    under.add(row + i);
                }
                w.block(List.of(segs[p]), rows, vis);
                row += n;
            }
            w.rows = row;
            int[] r = under.stream().mapToInt(Integer::intValue).toArray();
            int[] vis = new int[r.length];
            Arrays.fill(vis, 333);
            w.block(List.of(root), r, vis);
            run(w, false, "prefill " + s);
        }
    }

    @Test
    void perSequenceLongContextsSplitAcrossDecodeChunks() {
        for (AttentionShape s : new AttentionShape[] {new AttentionShape(6, 2, 16), new AttentionShape(4, 2, 256),
                new AttentionShape(32, 8, 128)}) {
            World w = new World(s, 12);
            int n = 3;
            w.rows = n;
            SegmentRef root = w.segment(2500, 2500);
            for (int r = 0; r < n; r++) {
                int len = 1 + w.rnd.nextInt(90);
                w.block(List.of(root, w.segment(100, len)), new int[] {r}, new int[] {len});
            }
            run(w, false, "per-sequence " + s);
            run(w, true, "per-sequence stable " + s);
        }
    }
}
