package io.hydragen.attention;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LseTest {
    @Test
    void mergingAttentionOverTwoKeySetsEqualsAttentionOverTheirUnion() {
        Random r = new Random(3);
        int d = 16, n = 37;
        for (int split : new int[] {1, 10, 36}) {
            float[] q = new float[d];
            float[][] k = new float[n][d], v = new float[n][d];
            for (int i = 0; i < d; i++) q[i] = (float) r.nextGaussian();
            for (int j = 0; j < n; j++) for (int i = 0; i < d; i++) { k[j][i] = (float) r.nextGaussian(); v[j][i] = (float) r.nextGaussian(); }
            ReferenceAttention.Result whole = ReferenceAttention.attend(q, k, v, n, 0.25);
            ReferenceAttention.Result a = ReferenceAttention.attend(q, Arrays.copyOfRange(k, 0, split), Arrays.copyOfRange(v, 0, split), split, 0.25);
            ReferenceAttention.Result b = ReferenceAttention.attend(q, Arrays.copyOfRange(k, split, n), Arrays.copyOfRange(v, split, n), n - split, 0.25);
            float[] acc = new float[d];
            float[] lse = {Float.NEGATIVE_INFINITY};
            Lse.mergeInto(acc, 0, lse, 0, a.out(), 0, a.lse(), d);
            Lse.mergeInto(acc, 0, lse, 0, b.out(), 0, b.lse(), d);
            assertArrayEquals(whole.out(), acc, 1e-5f);
            assertEquals(whole.lse(), lse[0], 1e-5f);
        }
    }

    @Test
    void aPartWithNoVisibleKeyChangesNothing() {
        float[] acc = {1, 2};
        float[] lse = {0.5f};
        Lse.mergeInto(acc, 0, lse, 0, new float[] {9, 9}, 0, Float.NEGATIVE_INFINITY, 2);
        assertArrayEquals(new float[] {1, 2}, acc);
        assertEquals(0.5f, lse[0]);
    }
}
