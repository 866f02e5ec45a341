package io.hydragen.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tile shape and split-K choices of the GEMM, for the decode and prefill shapes of the benchmarks. */
class GemmPlanTest {
    private static final int H100_SMS = 132;

    @Test
    void splitsCoverKExactlyOnce() {
        for (int m : new int[] {1, 7, 64, 100, 256, 1024, 16384}) {
            for (int n : new int[] {8, 96, 4096, 14336, 128256}) {
                for (int k : new int[] {16, 64, 176, 4096, 14336}) {
                    GemmPlan p = GemmPlan.of(m, n, k, H100_SMS);
                    String at = m + "x" + n + "x" + k + " -> " + p;
                    assertEquals(0, p.kChunk() % GemmPlan.BK, at);
                    assertTrue((long) p.splits() * p.kChunk() >= k, at + ": splits cover K");
                    assertTrue((long) (p.splits() - 1) * p.kChunk() < k, at + ": no split is empty");
                    assertTrue(p.splits() <= GemmPlan.MAX_SPLITS, at);
                    assertTrue(4 * p.workspaceFloats() <= GemmPlan.MAX_WORKSPACE_BYTES, at);
                    assertEquals(p.splits() > 1 ? (long) p.splits() * m * n : 0, p.workspaceFloats(), at);
                    assertTrue((long) p.gridX() * p.tile().bn >= n && (long) p.gridY() * p.tile().bm >= m, at + ": grid covers C");
                    assertTrue(p.tile().sharedBytes() <= 227 * 1024, at);
                }
            }
        }
    }

    @Test
    void decodeShapesSplitKToFillTheDevice() {
        GemmPlan p = GemmPlan.of(64, 4096, 4096, H100_SMS);
        assertEquals(GemmPlan.Tile.T64x64, p.tile());
        assertEquals(5, p.splits(), p.toString());  // 64 blocks, about two per SM wanted
        assertEquals(832, p.kChunk());
        assertTrue((long) p.gridX() * p.gridY() * p.splits() >= 2 * H100_SMS);
    }

    @Test
    void largeProductsUseBigTilesWithoutSplit() {
        GemmPlan p = GemmPlan.of(1024, 14336, 4096, H100_SMS);
        assertEquals(GemmPlan.Tile.T128x128, p.tile());
        assertEquals(1, p.splits());
        assertEquals(0, p.workspaceFloats());
        GemmPlan mid = GemmPlan.of(128, 14336, 4096, H100_SMS);
        assertEquals(GemmPlan.Tile.T64x128, mid.tile(), "one row of 128-wide tiles is only 112 blocks");
    }

    @Test
    void shallowKIsNotSplit() {
        assertEquals(1, GemmPlan.of(1, 64, 64, H100_SMS).splits());
        assertEquals(1, GemmPlan.of(4, 96, 256, H100_SMS).splits());
    }

    @Test
    void rejectsUnalignedK() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GemmPlan.of(4, 8, 100, H100_SMS));
        assertTrue(e.getMessage().contains("multiple of 8"));
    }
}
