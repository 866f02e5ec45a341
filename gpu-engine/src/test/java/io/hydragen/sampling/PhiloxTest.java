package io.hydragen.sampling;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Philox4x32-10 against the known-answer vectors of Random123 (tests/kat_vectors), and the seed mixing. */
class PhiloxTest {

    @Test
    void knownAnswerVectors() {
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, Philox.philox4x32x10(0, 0, 0, 0, 0, 0));
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
                Philox.philox4x32x10(-1, -1, -1, -1, -1, -1));
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1},
                Philox.philox4x32x10(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    @Test
    void drawIsWordsOneAndZeroOfCounterStep() {
        long seed = 0x0123456789abcdefL;
        int[] x = Philox.philox4x32x10(7, 0, 0, 0, 0x89abcdef, 0x01234567);
        assertEquals(((long) x[1] << 32) | (x[0] & 0xffffffffL), Philox.draw64(seed, 7));
        assertNotEquals(Philox.draw64(seed, 7), Philox.draw64(seed, 8));
    }

    @Test
    void rowSeedsDifferAcrossSamplesAndSeeds() {
        Set<Long> seen = new HashSet<>();
        for (long s = 0; s < 50; s++) for (int i = 0; i < 50; i++) seen.add(SamplingSeeds.rowSeed(s, i));
        assertEquals(2500, seen.size());
        assertEquals(SamplingSeeds.rowSeed(42, 3), SamplingSeeds.rowSeed(42, 3));
        // the top bits of the draws of neighbouring seeds look independent: about half of them differ
        int differ = 0;
        for (int i = 0; i < 1000; i++) {
            if ((Philox.draw64(SamplingSeeds.rowSeed(i, 0), 0) < 0) != (Philox.draw64(SamplingSeeds.rowSeed(i + 1, 0), 0) < 0)) differ++;
        }
        assertTrue(differ > 400 && differ < 600, "sign bits of neighbouring seeds differ " + differ + " times in 1000");
    }
}
