package io.hydragen.backend.cuda;

import java.util.Arrays;
import java.util.List;

/**
 * Turns the attention blocks of a forward pass into kernel work (an {@link AttentionPlan}).
 *
 * <p>Each (block, segment) pair is one source of partial results for its rows. A source whose rows, GQA heads
 * stacked, fill at least one 16-row tensor-core fragment goes to the tensor-core kernels (prefix_attention when
 * every row sees the whole segment, as under a shared prefix; prefill_attention with per-row limits otherwise, as
 * in the causal prefill of a segment's own tokens); a source with fewer rows, such as one sequence's own suffix in
 * decode, goes to decode_attention, one item per row and KV chunk. Long segments are split along their keys
 * (split-K) so that the launch fills whole waves of the device ({@link #splitsFor}: SMs x resident blocks per SM,
 * the latter from the tile kernel's occupancy); every split is its own partial slot, and merge.cu combines a row's
 * slots exactly through their log-sum-exps.
 */
public final class AttentionPlanner {
    /** One attention job: {@code rows} see all keys of every segment but the last, and {@code visibleInLast[i]} of it. */
    public record Block(List<SegmentRef> segments, int[] rows, int[] visibleInLast) {
        public Block {
            segments = List.copyOf(segments);
            if (rows.length != visibleInLast.length) throw new IllegalArgumentException("rows and visibleInLast differ in length");
        }
    }

    static final int TILE_ROWS = 64;
    static final int TILE_KEYS = 64;
    /** Stacked query rows from which a source runs on tensor cores (one m16 fragment). */
    static final int TENSOR_CORE_MIN_ROWS = 16;
    /** No split of a tensor-core source is shorter than this many keys. */
    static final int MIN_SPLIT_KEYS = 256;
    static final int MAX_SPLITS = 8;
    /** Partial buffers above this size make the planner give up splitting. */
    static final long SLOT_BUDGET_BYTES = 1L << 30;

    private final AttentionShape shape;
    /** Resident tile blocks per SM assumed where the kernel's occupancy is not known (two at 128 threads, ~80 KB). */
    public static final int DEFAULT_RESIDENT_PER_SM = 2;
    /** Fixed cost of one split in keys (Q tile load, epilogue, one more slot to merge), so fewer splits win ties. */
    static final int SPLIT_OVERHEAD_KEYS = TILE_KEYS;

    private final int multiprocessors;
    private final int residentPerSm;
    private final boolean stableGrid;

    /**
     * @param stableGrid lay decode items out by segment capacity rather than current length, so consecutive decode
     *                   steps of a batch have the same grids (a captured CUDA graph can be replayed)
     */
    public AttentionPlanner(AttentionShape shape, int multiprocessors, boolean stableGrid) {
        this(shape, multiprocessors, DEFAULT_RESIDENT_PER_SM, stableGrid);
    }

    /**
     * @param residentPerSm tensor-core tile blocks that fit on one SM at once (cuOccupancyMaxActiveBlocksPerMultiprocessor
     *                      of the prefix kernel at its block size and shared memory)
     */
    public AttentionPlanner(AttentionShape shape, int multiprocessors, int residentPerSm, boolean stableGrid) {
        this.shape = shape;
        this.multiprocessors = Math.max(1, multiprocessors);
        this.residentPerSm = Math.max(1, residentPerSm);
        this.stableGrid = stableGrid;
    }

    /** Blocks the device runs at once: one wave. */
    public int waveSlots() { return multiprocessors * residentPerSm; }

    /**
     * Key splits of a tensor-core source of {@code tiles} blocks (row tiles x KV heads) over {@code keys} keys: the
     * count that minimises the estimated time, waves x (keys per split + a fixed cost per split), where waves =
     * ceil(tiles x splits / wave slots). Whole waves are filled rather than a fraction of one more: at 132 SMs x 2,
     * 128 tiles of 16K keys take 2 splits (256 blocks, 0.97 waves), not 3 (384 blocks, 1.45 waves).
     */
    int splitsFor(int tiles, int keys, int maxSplits) {
        int limit = Math.max(1, Math.min(maxSplits, ceil(keys, MIN_SPLIT_KEYS)));
        int slots = waveSlots();
        int best = 1;
        long bestCost = Long.MAX_VALUE;
        for (int s = 1; s <= limit; s++) {
            int chunk = roundUp(ceil(keys, s), TILE_KEYS);
            int real = ceil(keys, chunk);  // splits after rounding the chunk to whole tiles
            if (real != s) continue;
            long waves = ceil((long) tiles * s, slots);
            long cost = waves * (chunk + SPLIT_OVERHEAD_KEYS);
            if (cost < bestCost) {
                bestCost = cost;
                best = s;
            }
        }
        return best;
    }

    /** Waves of the tensor-core launches of {@code p} (prefix and masked tiles) on this device: blocks / wave slots. */
    public double waves(AttentionPlan p) {
        return (double) ((long) (p.prefixTileCount() + p.maskedTileCount()) * shape.kvHeads()) / waveSlots();
    }

    /** Keys per decode item: the scores of G heads x chunk keys stay within 16 KB of shared memory. */
    public int decodeChunk() {
        int c = (4096 / shape.group()) / 32 * 32;
        return Math.max(32, Math.min(1024, c));
    }

    public AttentionPlan plan(List<Block> blocks, int rows) {
        AttentionPlan p = plan(blocks, rows, MAX_SPLITS);
        long bytes = 4L * p.slots() * rows * shape.numQHeads() * shape.headDim();
        if (bytes > SLOT_BUDGET_BYTES) p = plan(blocks, rows, 1);
        return p;
    }

    private AttentionPlan plan(List<Block> blocks, int rows, int maxSplits) {
        int g = shape.group(), kvHeads = shape.kvHeads();
        int chunkKeys = decodeChunk();
        int[] nextSlot = new int[rows];
        IntBuf rowList = new IntBuf(), limits = new IntBuf(), rowSlot = new IntBuf();
        LongBuf prefix = new LongBuf(), masked = new LongBuf(), items = new LongBuf();

        for (Block b : blocks) {
            int last = b.segments().size() - 1;
            for (int r : b.rows()) {
                if (r < 0 || r >= rows) throw new IllegalArgumentException("attention row " + r + " outside the batch of " + rows);
            }
            for (int j = 0; j <= last; j++) {
                SegmentRef seg = b.segments().get(j);
                int n = b.rows().length;
                int[] vis = new int[n];
                int maxVis = 0;
                boolean uniform = true;
                for (int i = 0; i < n; i++) {
                    vis[i] = j < last ? seg.length() : Math.max(0, Math.min(b.visibleInLast()[i], seg.length()));
                    maxVis = Math.max(maxVis, vis[i]);
                    if (i > 0 && vis[i] != vis[0]) uniform = false;
                }
                if (n == 0) continue;
                int stacked = n * g;
                if (stacked >= TENSOR_CORE_MIN_ROWS) {
                    if (maxVis == 0) continue;
                    int rowTiles = ceil(stacked, TILE_ROWS);
                    int splits = splitsFor(rowTiles * kvHeads, maxVis, maxSplits);
                    int chunk = roundUp(ceil(maxVis, splits), TILE_KEYS);
                    splits = ceil(maxVis, chunk);
                    int off = rowList.size;
                    for (int i = 0; i < n; i++) {
                        int r = b.rows()[i];
                        rowList.add(r);
                        limits.add(vis[i]);
                        rowSlot.add(nextSlot[r]);
                        nextSlot[r] += splits;
                    }
                    LongBuf dst = uniform ? prefix : masked;
                    for (int rt = 0; rt < rowTiles; rt++) {
                        int t0 = rt * TILE_ROWS / g, t1 = Math.min(n, ceil((rt + 1) * TILE_ROWS, g));
                        int tileMax = 0;
                        for (int t = t0; t < t1; t++) tileMax = Math.max(tileMax, vis[t]);
                        for (int c = 0; c < splits; c++) {
                            int kv0 = c * chunk, kv1 = Math.min((c + 1) * chunk, tileMax);
                            if (kv1 <= kv0) continue;  // its slots stay at -inf, which the merge skips
                            dst.add(off, n, (long) rt * TILE_ROWS, kv0, kv1, seg.kAddr(), seg.vAddr(), seg.headStride(),
                                    seg.layerStride(), c);
                        }
                    }
                } else {
                    int extent = stableGrid ? seg.capacity() : maxVis;
                    int chunks = ceil(extent, chunkKeys);
                    for (int i = 0; i < n; i++) {
                        int r = b.rows()[i];
                        for (int c = 0; c < chunks; c++) {
                            int kv0 = c * chunkKeys, kv1 = Math.min((c + 1) * chunkKeys, vis[i]);
                            if (kv1 <= kv0 && !stableGrid) continue;
                            items.add(r, seg.kAddr(), seg.vAddr(), seg.headStride(), seg.layerStride(), kv0, Math.max(kv0, kv1),
                                    nextSlot[r]++);
                        }
                    }
                }
            }
        }
        int slots = 1;
        for (int s : nextSlot) slots = Math.max(slots, s);
        return new AttentionPlan(rows, slots, rowList.toArray(), limits.toArray(), rowSlot.toArray(), prefix.toArray(),
                masked.toArray(), items.toArray(), chunkKeys);
    }

    /** Dynamic shared memory of a tensor-core attention block: Q tile and two stages of K and V tiles. */
    public int tileSharedBytes() { return (TILE_ROWS + 4 * TILE_KEYS) * (shape.headDim() + 8) * 2; }

    /** Dynamic shared memory of a decode block (see decode_attention.cu). */
    public int decodeSharedBytes() {
        int g = shape.group(), d = shape.headDim();
        return 4 * (g * d + g * decodeChunk() + 2 * g + 4 * 8 * d);
    }

    static int ceil(int a, int b) { return (a + b - 1) / b; }

    static long ceil(long a, long b) { return (a + b - 1) / b; }

    static int roundUp(int a, int b) { return ceil(a, b) * b; }

    private static final class IntBuf {
        int[] a = new int[64];
        int size;

        void add(int v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            a[size++] = v;
        }

        int[] toArray() { return Arrays.copyOf(a, size); }
    }

    private static final class LongBuf {
        long[] a = new long[256];
        int size;

        void add(long... vs) {
            while (size + vs.length > a.length) a = Arrays.copyOf(a, a.length * 2);
            System.arraycopy(vs, 0, a, size, vs.length);
            size += vs.length;
        }

        long[] toArray() { return Arrays.copyOf(a, size); }
    }
}
