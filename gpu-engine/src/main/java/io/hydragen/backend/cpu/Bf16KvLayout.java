package io.hydragen.backend.cpu;

import java.nio.ByteBuffer;

/**
 * Where one KV head's keys and values sit in a bf16 {@link CpuKvSegment}, laid out so that both attention products are
 * the AVX512_BF16 kernel's product with no transposition at run time:
 * <ul>
 * <li>keys as a {@link Bf16Matrix} of [capacity × headDim] (blocks of 16 slots, each dim pair of the 16 slots side by
 *     side): scores Q·Kᵀ are then the weight product with the slots as output columns;</li>
 * <li>values as the transposed matrix [headDim × capacity] in the same packing (blocks of 16 dims, each pair of slots
 *     of the 16 dims side by side): P·V then reduces over slot pairs with the dims as output columns, and a key range
 *     starting at an even slot is a contiguous run of pairs in every block.</li>
 * </ul>
 * Capacity is rounded up to 16 slots and the dims to 16, zero filled, so whole blocks can always be read.
 * Indexes are in bf16 elements (shorts) from the start of the head's region.
 */
final class Bf16KvLayout {
    final int headDim;
    /** Dim pairs per key. */
    final int keyPairs;
    /** Slot pairs per 16-dim value block (capacity rounded up to 16, halved). */
    final int slotPairs;
    final long keyHeadShorts, valueHeadShorts;

    Bf16KvLayout(int headDim, int capacity) {
        this.headDim = headDim;
        this.keyPairs = (headDim + 1) / 2;
        int slots16 = (Math.max(1, capacity) + 15) / 16 * 16;
        this.slotPairs = slots16 / 2;
        this.keyHeadShorts = (long) slots16 * keyPairs * 2;
        this.valueHeadShorts = (long) (headDim + 15) / 16 * 16 * slotPairs * 2;
    }

    long keyIndex(int slot, int i) { return (((long) (slot >> 4) * keyPairs + (i >> 1)) << 5) + ((slot & 15) << 1) + (i & 1); }

    long valueIndex(int slot, int i) { return (((long) (i >> 4) * slotPairs + (slot >> 1)) << 5) + ((i & 15) << 1) + (slot & 1); }

    /** Keys of slots [s0, s1) widened to fp32 into dst as row-major [(s1 - s0) × headDim] (the path without the kernel). */
    void widenKeys(ByteBuffer b, long headBase, int s0, int s1, OffHeap dst) {
        for (int s = s0; s < s1; s++) {
            int out = (s - s0) * headDim;
            for (int i = 0; i < headDim; i++) dst.floats.put(out + i, widen(b, headBase + keyIndex(s, i)));
        }
    }

    /** Values of slots [s0, s1) widened to fp32 into dst as row-major [(s1 - s0) × headDim]. */
    void widenValues(ByteBuffer b, long headBase, int s0, int s1, OffHeap dst) {
        for (int s = s0; s < s1; s++) {
            int out = (s - s0) * headDim;
            for (int i = 0; i < headDim; i++) dst.floats.put(out + i, widen(b, headBase + valueIndex(s, i)));
        }
    }

    static float widen(ByteBuffer b, long index) { return Float.intBitsToFloat((b.getShort((int) (2 * index)) & 0xffff) << 16); }
}
