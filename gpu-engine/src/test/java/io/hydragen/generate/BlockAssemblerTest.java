package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.hydragen.backend.AttentionBlock;
import io.hydragen.backend.KvSegment;
import io.hydragen.plan.PrefixPlan;
import io.hydragen.plan.PrefixPlanner;
import io.hydragen.plan.Segment;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Attention blocks from a plan, without a backend: Hydragen's shared blocks root-first, or whole paths per sequence. */
class BlockAssemblerTest {

    /** A KV segment with no storage. */
    static final class FakeKv implements KvSegment {
        final String name;
        int length;
        final int capacity;

        FakeKv(String name, int capacity) { this.name = name; this.capacity = capacity; }

        @Override public int length() { return length; }
        @Override public int capacity() { return capacity; }
        @Override public void setLength(int n) { length = n; }
        @Override public void close() {}
        @Override public String toString() { return name; }
    }

    /** root (20) → mid (10) → leaves of rows 0 and 1; root → leaf of row 2. */
    private final PrefixPlan plan;
    private final Map<Segment, KvSegment> kv = new IdentityHashMap<>();

    BlockAssemblerTest() {
        int[] root = KvSizingTest.seq(0, 20), mid = KvSizingTest.seq(100, 10);
        plan = new PrefixPlanner(4).plan(List.of(
                KvSizingTest.concat(KvSizingTest.concat(root, mid), new int[] {1, 2}),
                KvSizingTest.concat(KvSizingTest.concat(root, mid), new int[] {3}),
                KvSizingTest.concat(root, new int[] {200, 201, 202})));
        for (Segment s : plan.segments()) kv.put(s, new FakeKv("seg" + s.id() + "/" + s.length(), s.length() + 4));
    }

    private Segment leaf(int s) { return plan.leaf(s); }

    @Test
    void hydragenBatchesTheRowsOfEverySharedSegmentRootFirst() {
        Segment mid = leaf(0).parent(), root = mid.parent();
        assertEquals(10, mid.length());
        assertEquals(20, root.length());
        BlockAssembler b = new BlockAssembler(false, kv);
        // a decode step: one row per sequence
        for (int s = 0; s < 3; s++) b.add(leaf(s).ancestors(), kv.get(leaf(s)), new int[] {s}, new int[] {leaf(s).length() + 1});
        List<AttentionBlock> blocks = b.blocks();
        assertEquals(2 + 3, blocks.size());
        assertSame(kv.get(root), blocks.get(0).segments().get(0));
        assertArrayEquals(new int[] {0, 1, 2}, blocks.get(0).rows());
        assertArrayEquals(new int[] {20, 20, 20}, blocks.get(0).visibleInLast(), "a shared segment is seen whole");
        assertSame(kv.get(mid), blocks.get(1).segments().get(0));
        assertArrayEquals(new int[] {0, 1}, blocks.get(1).rows());
        for (int s = 0; s < 3; s++) {
            AttentionBlock own = blocks.get(2 + s);
            assertEquals(List.of(kv.get(leaf(s))), own.segments());
            assertArrayEquals(new int[] {s}, own.rows());
            assertArrayEquals(new int[] {leaf(s).length() + 1}, own.visibleInLast());
        }
    }

    @Test
    void prefillPiecesOfASegmentSeeTheirAncestorsAndCausallyThemselves() {
        Segment mid = leaf(0).parent(), root = mid.parent();
        BlockAssembler b = new BlockAssembler(false, kv);
        b.add(mid.ancestors(), kv.get(mid), new int[] {0, 1, 2}, new int[] {1, 2, 3});
        b.add(leaf(2).ancestors(), kv.get(leaf(2)), new int[] {3, 4}, new int[] {1, 2});
        List<AttentionBlock> blocks = b.blocks();
        assertEquals(3, blocks.size());
        assertSame(kv.get(root), blocks.get(0).segments().get(0));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, blocks.get(0).rows());
        assertArrayEquals(new int[] {1, 2, 3}, blocks.get(1).visibleInLast());
        assertArrayEquals(new int[] {3, 4}, blocks.get(2).rows());
    }

    @Test
    void perSequenceReadsTheWholePathInOneBlockPerRow() {
        Segment mid = leaf(0).parent(), root = mid.parent();
        BlockAssembler b = new BlockAssembler(true, kv);
        for (int s = 0; s < 3; s++) b.add(leaf(s).ancestors(), kv.get(leaf(s)), new int[] {s}, new int[] {7});
        // a private copy has no ancestors
        KvSegment copy = new FakeKv("private", 40);
        b.add(List.of(), copy, new int[] {3}, new int[] {33});
        List<AttentionBlock> blocks = b.blocks();
        assertEquals(4, blocks.size());
        assertEquals(List.of(kv.get(root), kv.get(mid), kv.get(leaf(0))), blocks.get(0).segments());
        assertEquals(List.of(kv.get(root), kv.get(leaf(2))), blocks.get(2).segments());
        assertEquals(List.of(copy), blocks.get(3).segments());
        assertArrayEquals(new int[] {33}, blocks.get(3).visibleInLast());
    }
}
