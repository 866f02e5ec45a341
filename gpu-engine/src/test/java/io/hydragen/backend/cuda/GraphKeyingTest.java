package io.hydragen.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.attention.AttentionMode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The host side of CUDA graph reuse under a changing batch, no device needed: the padded row counts (vLLM's capture
 * sizes) and the capture cache (captured on a key's second sighting, replayed after, least recently used evicted and
 * closed, all closed when the workspace is reallocated).
 */
class GraphKeyingTest {

    /** A stand-in for a captured graph: counts its closes. */
    static final class FakeGraph implements AutoCloseable {
        final String key;
        int closes;

        FakeGraph(String key) { this.key = key; }

        @Override public void close() { closes++; }
    }

    @Test
    void rowCountsArePaddedToPowersOfTwoThenMultiplesOfEight() {
        GraphBuckets b = new GraphBuckets(512);
        int[][] expected = {{1, 1}, {2, 2}, {3, 4}, {4, 4}, {5, 8}, {8, 8}, {9, 16}, {16, 16}, {17, 24}, {63, 64}, {64, 64}, {65, 72},
                {500, 504}, {512, 512}, {513, 513}, {2048, 2048}};
        for (int[] e : expected) assertEquals(e[1], b.padded(e[0]), "rows " + e[0]);
        for (int n = 1; n <= 600; n++) {
            int p = b.padded(n);
            assertTrue(p >= n, "padded " + n + " -> " + p);
            assertTrue(n > 8 && n <= 512 ? p - n < 8 : n > 512 ? p == n : p < 2 * n, "little padding: " + n + " -> " + p);
            assertEquals(p, b.padded(p), "a bucket is its own padding");
        }
        assertThrows(IllegalArgumentException.class, () -> b.padded(0));
        assertEquals(6, new GraphBuckets(6).padded(5), "the last bucket is the cap itself");
    }

    @Test
    void aContinuousBatchOfOneToSixtyFourRowsNeedsAtMostElevenGraphs() {
        // rows finish and are admitted: every size from 1 to 64 occurs; without padding that is 64 captures
        GraphBuckets b = new GraphBuckets(512);
        Set<String> keys = new HashSet<>();
        for (int rows = 1; rows <= 64; rows++) {
            keys.add(CudaBackend.graphKey(b.padded(rows), b.padded(rows), AttentionMode.HYDRAGEN, "plan", 3));
        }
        assertEquals(11, keys.size(), "1, 2, 4, 8, 16, 24, 32, 40, 48, 56, 64: " + keys);
        assertNotEquals(CudaBackend.graphKey(8, 8, AttentionMode.HYDRAGEN, "plan", 3), CudaBackend.graphKey(8, 8, AttentionMode.HYDRAGEN, "plan", 4),
                "a reallocated workspace is another key");
        assertNotEquals(CudaBackend.graphKey(8, 8, AttentionMode.HYDRAGEN, "a", 3), CudaBackend.graphKey(8, 8, AttentionMode.HYDRAGEN, "b", 3));
    }

    @Test
    void aShapeIsCapturedOnItsSecondSightingAndReplayedAfter() {
        GraphCache<FakeGraph> cache = new GraphCache<>(4);
        List<String> captured = new ArrayList<>();
        assertNull(cache.lookup("a", () -> capture("a", captured)), "first sighting: eager");
        assertNull(cache.lookup("b", () -> capture("b", captured)));
        FakeGraph a = cache.lookup("a", () -> capture("a", captured));   // not consecutive: still captured
        assertEquals("a", a.key);
        assertSame(a, cache.lookup("a", () -> capture("a", captured)), "replayed, not captured again");
        assertSame(a, cache.lookup("a", () -> capture("a", captured)));
        FakeGraph b = cache.lookup("b", () -> capture("b", captured));
        assertEquals(List.of("a", "b"), captured);
        // alternating between the two sizes: no more captures
        for (int i = 0; i < 10; i++) {
            assertSame(a, cache.lookup("a", () -> capture("a", captured)));
            assertSame(b, cache.lookup("b", () -> capture("b", captured)));
        }
        assertEquals(2, cache.captures());
        assertEquals(0, a.closes + b.closes);
    }

    @Test
    void theLeastRecentlyUsedGraphIsEvictedAndClosed() {
        GraphCache<FakeGraph> cache = new GraphCache<>(2);
        List<String> captured = new ArrayList<>();
        List<FakeGraph> made = new ArrayList<>();
        for (String k : List.of("a", "b", "c")) {
            cache.lookup(k, () -> capture(k, captured));
            made.add(cache.lookup(k, () -> capture(k, captured)));
        }
        assertEquals(2, cache.size());
        assertEquals(1, made.get(0).closes, "a, least recently used, was evicted and closed");
        assertEquals(0, made.get(1).closes + made.get(2).closes);
        assertSame(made.get(2), cache.lookup("c", () -> capture("c", captured)));
        assertNull(cache.lookup("a", () -> capture("a", captured)), "an evicted shape starts over");
        cache.invalidate();
        assertEquals(0, cache.size());
        assertEquals(1, made.get(1).closes);
        assertEquals(1, made.get(2).closes);
        assertNull(cache.lookup("c", () -> capture("c", captured)), "after invalidation (workspace reallocated) a shape is new again");
        cache.close();
        assertThrows(IllegalArgumentException.class, () -> new GraphCache<FakeGraph>(0));
    }

    @Test
    void aFailedCaptureCachesNothing() {
        GraphCache<FakeGraph> cache = new GraphCache<>(2);
        cache.lookup("a", () -> new FakeGraph("a"));
        assertThrows(CudaException.class, () -> cache.lookup("a", () -> { throw new CudaException("cuGraphInstantiate", 1); }));
        assertEquals(0, cache.size());
        assertEquals(0, cache.captures());
    }

    private static FakeGraph capture(String key, List<String> captured) {
        captured.add(key);
        return new FakeGraph(key);
    }
}
