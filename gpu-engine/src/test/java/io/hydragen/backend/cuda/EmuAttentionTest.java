package io.hydragen.backend.cuda;

import io.hydragen.backend.cuda.reference.AttentionReference;
import io.hydragen.backend.cuda.reference.Bf16;
import io.hydragen.backend.cuda.reference.KvStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * prefix_attention, prefill_attention (tensor-core tile: mma.sync, ldmatrix, cp.async), decode_attention and merge,
 * executed on the CPU by the emulation build, for AttentionPlanner's real tables (several segments, GQA, causal
 * limits, empty segments and LSE = -inf slots, keys split across blocks), launched in AttentionRunner's order through
 * the production wrappers, against AttentionReference: every partial slot (O and LSE) and the merged output. The
 * shapes mirror AttentionKernelsGpuTest, smaller.
 */
class EmuAttentionTest {
    private static final int LAYERS = 2, LAYER = 1;

    @BeforeEach
    void needCompiler() { EmuBuild.require(); }

    /** Segments in emulated device memory, mirrored in a KvStore at the same addresses. */
    static final class World {
        final AttentionShape shape;
        final KvStore store;
        final Random rnd;
        final EmuDevice emu;
        final List<AttentionPlanner.Block> blocks = new ArrayList<>();
        int rows;

        World(EmuDevice emu, AttentionShape shape, long seed) {
            this.emu = emu;
            this.shape = shape;
            this.store = new KvStore(LAYERS, shape.kvHeads(), shape.headDim());
            this.rnd = new Random(seed);
        }

        SegmentRef segment(int capacity, int length) {
            float[] data = store.random(rnd, capacity);
            DeviceBuffer b = emu.bf16(data, "KV segment of " + capacity);
            assertEquals(CudaKvSegment.bytes(LAYERS, shape.kvHeads(), shape.headDim(), capacity), b.bytes());
            return store.add(b.address(0), data, capacity, length);
        }

        void block(List<SegmentRef> segs, int[] rows, int[] visible) { blocks.add(new AttentionPlanner.Block(segs, rows, visible)); }
    }

    /** Runs the plan for {@code w} (AttentionRunner's sequence of launches) and compares with the reference. */
    static void run(World w, int sms, boolean stable, String what) { run(w, sms, stable, what, w.emu); }

    /** As above, with the wrappers launching through {@code lib} (which forwards to the world's device). */
    static void run(World w, int sms, boolean stable, String what, KernelSource lib) {
        EmuDevice emu = w.emu;
        AttentionShape s = w.shape;
        int rows = w.rows, hq = s.numQHeads(), d = s.headDim();
        AttentionPlan p = new AttentionPlanner(s, sms, stable).plan(w.blocks, rows);
        float[] q = Bf16.random(w.rnd, rows * hq * d, 1f);
        long cells = (long) p.slots() * rows * hq;
        long[] bytes = AttentionRunner.tableBytes(p, s);
        DeviceBuffer dq = emu.bf16(q, "q");
        DeviceBuffer rowList = emu.ints(p.rowList(), "rowList"), limits = emu.ints(p.limits(), "limits"),
                rowSlot = emu.ints(p.rowSlot(), "rowSlot");
        DeviceBuffer prefix = emu.longs(p.prefixTiles(), true, "prefixTiles"), masked = emu.longs(p.maskedTiles(), true, "maskedTiles"),
                items = emu.longs(p.decodeItems(), true, "decodeItems");
        DeviceBuffer oPart = emu.poisoned(cells * d, "oPart"), lsePart = emu.buffer(4 * cells, "lsePart");
        assertEquals(bytes[6], oPart.bytes(), "AttentionRunner.tableBytes: oPart");
        assertEquals(bytes[7], lsePart.bytes(), "AttentionRunner.tableBytes: lsePart");
        DeviceBuffer out = emu.buffer(2L * rows * hq * d, "out"), lse = emu.poisoned((long) rows * hq, "lse");
        // AttentionRunner.run, launch for launch
        emu.fill32(lsePart, Float.floatToRawIntBits(Float.NEGATIVE_INFINITY), 0, cells);
        new PrefixAttentionKernel(lib).launch(s, dq, prefix, p.prefixTileCount(), rowList, rowSlot, oPart, lsePart, rows, LAYER);
        new PrefillAttentionKernel(lib).launch(s, dq, masked, p.maskedTileCount(), rowList, limits, rowSlot, oPart, lsePart, rows, LAYER);
        new DecodeAttentionKernel(lib).launch(s, dq, items, p.decodeItemCount(), oPart, lsePart, rows, p.decodeChunk(), LAYER);
        new MergeKernel(lib).launch(oPart, lsePart, p.slots(), rows, hq, d, out, lse);
        long t0 = System.nanoTime();
        emu.run();
        System.out.printf("[emu] %s: %d prefix tiles, %d masked tiles, %d decode items, %d slots in %.1f s%n", what,
                p.prefixTileCount(), p.maskedTileCount(), p.decodeItemCount(), p.slots(), (System.nanoTime() - t0) / 1e9);

        AttentionReference.Partials ref = AttentionReference.partials(p, s, q, w.store, LAYER);
        float[] gotO = emu.readFloats(oPart, (int) (cells * d)), gotL = emu.readFloats(lsePart, (int) cells);
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
        float[] gotOut = emu.readBf16(out, rows * hq * d);
        double err = Bf16.relError(gotOut, m.out());
        assertTrue(err < 1e-2, what + " " + p + ": merged output relative error " + err);
        for (float f : gotOut) assertTrue(Float.isFinite(f), what + ": merged output not finite");
        float[] gotLse = emu.readFloats(lse, rows * hq);
        for (int i = 0; i < rows * hq; i++) {
            if (m.lse()[i] == Float.NEGATIVE_INFINITY) assertEquals(Float.NEGATIVE_INFINITY, gotLse[i], what + ": merged lse " + i);
            else assertEquals(m.lse()[i], gotLse[i], 2e-3, what + ": merged lse " + i);
        }
    }

    private static float[] toArray(List<Float> l) {
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }

    /** A shared root, two shared documents and one suffix per row (the Hydragen decode step). */
    static World hydragenDecode(EmuDevice emu, AttentionShape s, int perDoc, int rootLen, int docLen, long seed) {
        World w = new World(emu, s, seed);
        int n = 2 * perDoc;
        w.rows = n;
        SegmentRef root = w.segment(rootLen, rootLen);
        SegmentRef[] docs = {w.segment(docLen, docLen), w.segment(docLen + 53, docLen + 53)};
        int[] all = new int[n], allVis = new int[n];
        for (int r = 0; r < n; r++) { all[r] = r; allVis[r] = rootLen; }
        w.block(List.of(root), all, allVis);
        for (int di = 0; di < 2; di++) {
            int[] rows = new int[perDoc], vis = new int[perDoc];
            for (int i = 0; i < perDoc; i++) { rows[i] = di * perDoc + i; vis[i] = docs[di].length(); }
            w.block(List.of(docs[di]), rows, vis);
        }
        for (int r = 0; r < n; r++) {
            int len = 1 + w.rnd.nextInt(40);
            w.block(List.of(w.segment(48, len)), new int[] {r}, new int[] {len});
        }
        return w;
    }

    @Test
    void hydragenDecodeGqa() {
        run(hydragenDecode(new EmuDevice(132), new AttentionShape(4, 2, 16), 10, 600, 70, 3), 132, false, "decode d16 g2, split prefix");
        run(hydragenDecode(new EmuDevice(132), new AttentionShape(8, 2, 64), 4, 200, 30, 6), 132, false, "decode d64 g4");
        run(hydragenDecode(new EmuDevice(132), new AttentionShape(4, 4, 32), 8, 150, 20, 5), 132, true, "decode d32 mha stable");
        run(hydragenDecode(new EmuDevice(8), new AttentionShape(8, 1, 128), 2, 130, 20, 1), 8, false, "decode d128 g8");
    }

    @Test
    void chunkedCausalPrefill() {
        for (AttentionShape s : new AttentionShape[] {new AttentionShape(4, 2, 16), new AttentionShape(8, 2, 64),
                new AttentionShape(4, 1, 128), new AttentionShape(2, 2, 32)}) {
            World w = new World(new EmuDevice(132), s, 9);
            SegmentRef root = w.segment(90, 90);
            SegmentRef a = w.segment(100, 90), b = w.segment(40, 23);
            int[][] pieces = {{20, 90}, {0, 23}};  // a continues a prompt (keys 0..19 already there), b starts one
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
            Arrays.fill(vis, 90);
            w.block(List.of(root), r, vis);
            run(w, 132, false, "prefill " + s);
        }
    }

    /** A long prompt continued by 16 tokens: a masked tensor-core source whose keys are split across blocks. */
    @Test
    void continuedPromptWithSplitKeys() {
        AttentionShape s = new AttentionShape(4, 2, 32);
        World w = new World(new EmuDevice(132), s, 21);
        int n = 16, len = 600;
        SegmentRef seg = w.segment(640, len);
        int[] rows = new int[n], vis = new int[n];
        for (int i = 0; i < n; i++) { rows[i] = i; vis[i] = len - n + i + 1; }
        w.rows = n;
        w.block(List.of(seg), rows, vis);
        AttentionPlan p = new AttentionPlanner(s, 132, false).plan(w.blocks, n);
        assertTrue(p.maskedTileCount() > 1 && p.slots() > 1, "keys split across masked tiles: " + p);
        run(w, 132, false, "continued prompt, split keys");
    }

    @Test
    void perSequenceLongContextsSplitAcrossDecodeChunks() {
        for (AttentionShape s : new AttentionShape[] {new AttentionShape(16, 2, 16), new AttentionShape(8, 1, 256)}) {
            World w = new World(new EmuDevice(132), s, 12);
            int n = 2;
            w.rows = n;
            SegmentRef root = w.segment(1100, 1100);
            for (int r = 0; r < n; r++) {
                int len = 1 + w.rnd.nextInt(30);
                w.block(List.of(root, w.segment(40, len)), new int[] {r}, new int[] {len});
            }
            run(w, 132, false, "per-sequence " + s);
        }
    }

    @Test
    void rowsWithoutVisibleKeysGetZerosAndEmptySlotsStayMinusInfinity() {
        AttentionShape s = new AttentionShape(4, 2, 16);
        World w = new World(new EmuDevice(132), s, 3);
        w.rows = 12;
        SegmentRef empty = w.segment(16, 0), some = w.segment(16, 5), big = w.segment(64, 40);
        int[] all = new int[12], zeros = new int[12], forty = new int[12];
        for (int r = 0; r < 12; r++) { all[r] = r; forty[r] = r < 8 ? 40 : 0; }
        w.block(List.of(empty), new int[] {0, 1, 2}, new int[] {0, 0, 0});
        w.block(List.of(some), new int[] {1}, new int[] {0});
        w.block(List.of(some), new int[] {2}, new int[] {5});
        w.block(List.of(big), all, forty);  // a masked tensor-core source whose last rows see nothing
        w.block(List.of(empty), all, zeros);
        run(w, 132, false, "empty");
        run(w, 132, true, "empty stable");
    }
}
