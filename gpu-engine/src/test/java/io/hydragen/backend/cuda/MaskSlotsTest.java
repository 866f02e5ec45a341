package io.hydragen.backend.cuda;

import io.hydragen.sampling.TokenMask;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The device's pool of mask bitmaps, without a device: one upload per (constraint, state), LRU eviction, growth. */
class MaskSlotsTest {
    private final Object constraint = new Object();

    private TokenMask mask(int state) { return new TokenMask(new TokenMask.Key(constraint, state, false), new int[] {state}); }

    @Test
    void aStateIsUploadedOnceWhateverRowsAndPassesUseIt() {
        MaskSlots slots = new MaskSlots(4);
        List<MaskSlots.Upload> up = new ArrayList<>();
        int[] first = slots.assign(new TokenMask[] {mask(7), null, mask(7), mask(3)}, up);
        assertEquals(2, up.size(), "two distinct states, two uploads");
        assertEquals(first[0], first[2], "rows in one state share a slot");
        assertEquals(-1, first[1]);
        assertNotEquals(first[0], first[3]);
        assertArrayEquals(new int[] {7}, up.get(0).words());
        assertEquals(first[0], up.get(0).slot());
        up.clear();
        int[] second = slots.assign(new TokenMask[] {mask(3), mask(7)}, up);   // a new TokenMask object, the same key
        assertTrue(up.isEmpty(), "nothing new to upload: " + up);
        assertEquals(first[3], second[0]);
        assertEquals(first[0], second[1]);
        assertEquals(2, slots.uploads());
    }

    @Test
    void theLeastRecentlyUsedStateLeavesButNeverOneOfThePass() {
        MaskSlots slots = new MaskSlots(3);
        List<MaskSlots.Upload> up = new ArrayList<>();
        slots.assign(new TokenMask[] {mask(1), mask(2), mask(3)}, up);
        slots.assign(new TokenMask[] {mask(1)}, up);                                 // 2 is now the eldest
        int[] s = slots.assign(new TokenMask[] {mask(3), mask(4)}, up);
        assertEquals(1, slots.evictions());
        assertEquals(List.of(1, 3, 4), slots.held().stream().map(TokenMask.Key::state).toList());
        assertEquals(4, up.size());
        assertEquals(s[1], up.get(3).slot(), "4 took the slot 2 left");
        // a pass of three where 1 (held) and two new states compete: 3 is evicted, not 1 which this pass uses
        up.clear();
        int[] t = slots.assign(new TokenMask[] {mask(5), mask(1), mask(6)}, up);
        assertEquals(List.of(5, 6), up.stream().map(u -> u.words()[0]).toList());
        Set<Integer> distinct = new HashSet<>(List.of(t[0], t[1], t[2]));
        assertEquals(3, distinct.size(), "three masks of one pass in three slots");
        assertEquals(Set.of(1, 5, 6), new HashSet<>(slots.held().stream().map(TokenMask.Key::state).toList()));
    }

    @Test
    void aPassWithMoreMasksThanSlotsGrowsThePoolAndUploadsAllAgain() {
        MaskSlots slots = new MaskSlots(2);
        List<MaskSlots.Upload> up = new ArrayList<>();
        slots.assign(new TokenMask[] {mask(1)}, up);
        up.clear();
        int[] s = slots.assign(new TokenMask[] {mask(1), mask(2), mask(3)}, up);
        assertEquals(4, slots.capacity());
        assertEquals(3, up.size(), "the reallocated pool starts empty: 1 again too");
        assertEquals(3, new HashSet<>(List.of(s[0], s[1], s[2])).size());
        for (int x : s) assertTrue(x >= 0 && x < 4);
    }

    @Test
    void eosAddedIsAnotherBitmapOfTheSameState() {
        MaskSlots slots = new MaskSlots(4);
        List<MaskSlots.Upload> up = new ArrayList<>();
        TokenMask plain = mask(9), withEos = new TokenMask(new TokenMask.Key(constraint, 9, true), new int[] {9 | 1 << 31});
        int[] s = slots.assign(new TokenMask[] {plain, withEos}, up);
        assertNotEquals(s[0], s[1]);
        assertSame(withEos.words(), up.get(1).words());
    }
}
