package io.hydragen.generate;

import io.hydragen.backend.AllocationException;
import io.hydragen.backend.Backend;
import io.hydragen.backend.KvSegment;
import io.hydragen.plan.Segment;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Allocates the KV segments of a batch: all or nothing (what was allocated is freed when one fails), and never an
 * {@link Error}: an {@link OutOfMemoryError} from a backend becomes an {@link AllocationException}.
 */
final class KvAllocator {
    private KvAllocator() {}

    /** One segment of {@code capacity} slots. */
    static KvSegment newSegment(Backend backend, int capacity) {
        try {
            return backend.newSegment(capacity);
        } catch (OutOfMemoryError e) {
            long bytes = KvSizing.bytes(capacity, backend.kvBytesPerToken());
            throw new AllocationException("out of memory allocating " + AllocationException.formatBytes(bytes) + " of KV cache for "
                    + capacity + " tokens: " + e.getMessage(), bytes, e);
        }
    }

    /** Every segment of {@code capacities}, in the order of {@code segments}. */
    static Map<Segment, KvSegment> allocate(Backend backend, List<Segment> segments, Map<Segment, Integer> capacities) {
        Map<Segment, KvSegment> kv = new IdentityHashMap<>();
        try {
            for (Segment seg : segments) kv.put(seg, newSegment(backend, capacities.get(seg)));
        } catch (RuntimeException e) {
            closeAll(kv.values());
            throw e;
        }
        return kv;
    }

    static void closeAll(Iterable<KvSegment> segments) {
        for (KvSegment k : segments) k.close();
    }
}
