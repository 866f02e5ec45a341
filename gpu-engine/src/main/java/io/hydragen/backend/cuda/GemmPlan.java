package io.hydragen.backend.cuda;

/**
 * How one product C[M,N] (+)= A[M,K]·W[N,K]ᵀ is launched: the tile shape of gemm.cu and the split along K.
 *
 * <p>The tile shape is the largest whose blocks still fill the device once (big tiles re-read less of A and W);
 * when even the smallest leaves SMs idle, which is the decode case (M = batch, the weights dominate and the product
 * is bound by reading them), K is split so that about two blocks per SM stream disjoint parts of W, and a second
 * kernel adds the partial products in a fixed order.
 *
 * @param tile the kernel's tile shape
 * @param splits parts of K (1 = no split, no workspace)
 * @param kChunk depth of each part, a multiple of 32
 */
public record GemmPlan(Tile tile, int m, int n, int k, int splits, int kChunk) {

    /** The tile shapes gemm.cu instantiates. */
    public enum Tile {
        T128x128("gemm_bf16_128x128", 128, 128, 256),
        T64x128("gemm_bf16_64x128", 64, 128, 256),
        T64x64("gemm_bf16_64x64", 64, 64, 128);

        public final String entry;
        public final int bm, bn, threads;

        Tile(String entry, int bm, int bn, int threads) {
            this.entry = entry;
            this.bm = bm;
            this.bn = bn;
            this.threads = threads;
        }

        /** Three cp.async stages of A and W tiles, rows padded to 40 bf16. */
        public int sharedBytes() { return STAGES * (bm + bn) * (BK + 8) * 2; }

        long blocks(int m, int n) { return (long) ceil(m, bm) * ceil(n, bn); }
    }

    static final int BK = 32;
    static final int STAGES = 3;
    /** No split is shallower than this many K elements: below it the reduction costs more than it gains. */
    static final int MIN_SPLIT_DEPTH = 256;
    static final int MAX_SPLITS = 16;
    /** Split-K partial products may take at most this many bytes of workspace. */
    static final long MAX_WORKSPACE_BYTES = 256L << 20;

    public static GemmPlan of(int m, int n, int k, int multiprocessors) {
        if (m <= 0 || n <= 0 || k <= 0) throw new IllegalArgumentException("empty product " + m + "x" + n + "x" + k);
        if (k % 8 != 0) throw new IllegalArgumentException("GEMM inner dimension " + k + " is not a multiple of 8 (16-byte rows)");
        Tile tile;
        if (Tile.T128x128.blocks(m, n) >= multiprocessors) tile = Tile.T128x128;
        else if (Tile.T64x128.blocks(m, n) >= multiprocessors) tile = Tile.T64x128;
        else tile = Tile.T64x64;

        long blocks = tile.blocks(m, n);
        int splits = 1;
        if (blocks < multiprocessors) {
            splits = (int) Math.min(MAX_SPLITS, ceil(2L * multiprocessors, blocks));
            splits = Math.min(splits, Math.max(1, k / MIN_SPLIT_DEPTH));
            long perSplit = 4L * m * n;
            splits = (int) Math.max(1, Math.min(splits, MAX_WORKSPACE_BYTES / perSplit));
        }
        int kChunk = roundUp(ceil(k, splits), BK);
        splits = ceil(k, kChunk);  // rounding the chunk up can leave a split with nothing to do
        return new GemmPlan(tile, m, n, k, splits, kChunk);
    }

    /** Floats of split-K workspace this launch needs (0 without a split). */
    public long workspaceFloats() { return splits > 1 ? (long) splits * m * n : 0; }

    public int gridX() { return ceil(n, tile.bn); }

    public int gridY() { return ceil(m, tile.bm); }

    static int ceil(int a, int b) { return (a + b - 1) / b; }

    static long ceil(long a, long b) { return (a + b - 1) / b; }

    static int roundUp(int a, int b) { return ceil(a, b) * b; }
}
