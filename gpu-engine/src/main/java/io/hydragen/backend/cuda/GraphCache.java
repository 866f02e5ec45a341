package io.hydragen.backend.cuda;

import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Captured CUDA graphs by the shape of the pass they replay (padded rows, logit rows, attention mode, the plan's
 * grid signature, the workspace generation), least recently used first out. A shape is captured the second time it
 * is seen (not necessarily in consecutive passes, so a batch alternating between a few sizes settles on a few
 * graphs), replayed from then on. A graph evicted or invalidated is closed.
 *
 * @param <G> a captured graph ({@link CudaGraph}; tests use fakes, no device needed)
 */
final class GraphCache<G extends AutoCloseable> implements AutoCloseable {
    private final int capacity;
    private final LinkedHashMap<String, G> graphs = new LinkedHashMap<>(16, 0.75f, true);
    /** Keys seen once and not captured yet, bounded like the graphs (a shape that never repeats costs nothing). */
    private final Set<String> seenOnce = new HashSet<>();
    private int captures;

    GraphCache(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("graph cache capacity must be >= 1, got " + capacity);
        this.capacity = capacity;
    }

    /**
     * The graph to replay for {@code key}: the cached one, or one captured now by {@code capture} when the key was seen
     * before; null when the pass should run eagerly (first sighting).
     */
    G lookup(String key, Supplier<G> capture) {
        G g = graphs.get(key);
        if (g != null) return g;
        if (seenOnce.add(key)) {
            if (seenOnce.size() > 4 * capacity) { seenOnce.clear(); seenOnce.add(key); }
            return null;
        }
        seenOnce.remove(key);
        g = capture.get();
        captures++;
        graphs.put(key, g);
        if (graphs.size() > capacity) {
            Iterator<Map.Entry<String, G>> it = graphs.entrySet().iterator();
            G old = it.next().getValue();
            it.remove();
            closeQuietly(old);
        }
        return g;
    }

    /** Closes every graph (the workspace was reallocated: they hold freed addresses). */
    void invalidate() {
        for (G g : graphs.values()) closeQuietly(g);
        graphs.clear();
        seenOnce.clear();
    }

    int size() { return graphs.size(); }

    /** Graphs captured so far, evicted ones included. */
    int captures() { return captures; }

    @Override
    public void close() { invalidate(); }

    private static void closeQuietly(AutoCloseable g) {
        try {
            g.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing a CUDA graph failed: " + e.getMessage(), e);
        }
    }
}
