package io.hydragen.backend.cuda;

import io.hydragen.sampling.TokenMask;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which slot of the device's pool of mask bitmaps holds which (constraint, state) ({@link TokenMask.Key}): a bitmap is
 * uploaded the first time its key is seen and stays while it is used, so a row pays an upload only when its
 * constraint reaches a state no row has been in lately. Bounded: the least recently used key leaves when a new one
 * needs its slot, never one the same pass uses. A pass with more distinct masks than slots grows the pool (the
 * caller reallocates it, so every key is uploaded again). No device here: {@link DeviceSampler} does the uploads.
 */
final class MaskSlots {
    /** Bitmap {@code words} goes to slot {@code slot} before the pass's launch. */
    record Upload(int slot, int[] words) {}

    private final LinkedHashMap<TokenMask.Key, Integer> slots = new LinkedHashMap<>(16, 0.75f, true);
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private int capacity;
    private long uploads, evictions;

    MaskSlots(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity " + capacity);
        this.capacity = capacity;
        for (int i = 0; i < capacity; i++) free.add(i);
    }

    /**
     * The slot of every row's mask (-1 for a row without), adding to {@code uploads} the bitmaps the pool lacks.
     * When the pass's distinct masks outnumber the slots, the pool doubles until they fit and starts empty.
     */
    int[] assign(TokenMask[] masks, List<Upload> uploads) {
        Set<TokenMask.Key> pass = new HashSet<>();
        for (TokenMask m : masks) if (m != null) pass.add(m.key());
        if (pass.size() > capacity) {
            int grown = capacity;
            while (grown < pass.size()) grown *= 2;
            capacity = grown;
            slots.clear();
            free.clear();
            for (int i = 0; i < capacity; i++) free.add(i);
        }
        for (TokenMask.Key k : pass) slots.get(k);   // touched first, so eviction below takes only keys of other passes
        int[] out = new int[masks.length];
        for (int r = 0; r < masks.length; r++) {
            TokenMask m = masks[r];
            if (m == null) { out[r] = -1; continue; }
            Integer slot = slots.get(m.key());
            if (slot == null) {
                slot = free.isEmpty() ? evictEldest() : free.poll();
                slots.put(m.key(), slot);
                uploads.add(new Upload(slot, m.words()));
                this.uploads++;
            }
            out[r] = slot;
        }
        return out;
    }

    private int evictEldest() {
        Iterator<Map.Entry<TokenMask.Key, Integer>> it = slots.entrySet().iterator();
        int slot = it.next().getValue();
        it.remove();
        evictions++;
        return slot;
    }

    /** Slots in the pool now. */
    int capacity() { return capacity; }

    /** Bitmaps uploaded so far. */
    long uploads() { return uploads; }

    /** Keys dropped to make room so far. */
    long evictions() { return evictions; }

    /** The keys held, least recently used first. */
    List<TokenMask.Key> held() { return new ArrayList<>(slots.keySet()); }
}
