package io.hydragen.backend.cuda;

import io.hydragen.sampling.SamplingSeeds;
import io.hydragen.backend.cuda.reference.SamplingReference;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The semantics sampling.cu implements (through its CPU mirror): argmax for greedy, vLLM's top-k and top-p cuts,
 * draws distributed like the renormalised kept probabilities, and a draw that depends only on (seed, step).
 */
class SamplingReferenceTest {

    private static float[] logits(Random r, int v, double sigma) {
        float[] l = new float[v];
        for (int i = 0; i < v; i++) l[i] = (float) (r.nextGaussian() * sigma);
        return l;
    }

    @Test
    void greedyAndTopKOneTakeTheFirstLargest() {
        float[] l = {0.5f, 3f, -1f, 3f, 2f};
        assertEquals(1, SamplingReference.sample(l, 0f, 0, 1f, 9, 0));
        assertEquals(1, SamplingReference.sample(l, 0.7f, 1, 1f, 9, 0));
    }

    @Test
    void topKKeepsTiesAtTheCut() {
        float[] l = {1f, 5f, 3f, 3f, 0f, 4f};
        int floor = SamplingReference.threshold(l, 1f, 3, 1f);
        int kept = 0;
        for (float x : l) if (Integer.compareUnsigned(key(x), floor) >= 0) kept++;
        assertEquals(4, kept, "5, 4 and both 3s survive top-3");
    }

    @Test
    void topPKeepsTheSmallestHeadReachingP() {
        // probabilities ∝ exp(l): 0.6439, 0.2369, 0.0871, 0.0321
        float[] l = {3f, 2f, 1f, 0f};
        assertEquals(1, keptCount(l, 0.5f));
        assertEquals(2, keptCount(l, 0.85f));
        assertEquals(3, keptCount(l, 0.95f));
        assertEquals(4, keptCount(l, 0.999f));
    }

    private static int keptCount(float[] l, float p) {
        int floor = SamplingReference.threshold(l, 1f, 0, p);
        int kept = 0;
        for (float x : l) if (Integer.compareUnsigned(key(x), floor) >= 0) kept++;
        return kept;
    }

    private static int key(float f) {
        int b = Float.floatToRawIntBits(f);
        return b < 0 ? ~b : b | 0x80000000;
    }

    @Test
    void drawsFollowTheRenormalisedKeptDistribution() {
        Random r = new Random(5);
        float[] l = logits(r, 40, 0.7);
        float temp = 1.2f;
        int topK = 12;
        float topP = 0.9f;
        int floor = SamplingReference.threshold(l, temp, topK, topP);
        double max = Arrays.stream(toDouble(l)).max().orElseThrow();
        double[] p = new double[l.length];
        double z = 0;
        for (int i = 0; i < l.length; i++) {
            if (Integer.compareUnsigned(key(l[i]), floor) >= 0) {
                p[i] = Math.exp((l[i] - max) / temp);
                z += p[i];
            }
        }
        int draws = 40000;
        int[] count = new int[l.length];
        for (int s = 0; s < draws; s++) count[SamplingReference.sample(l, temp, topK, topP, SamplingSeeds.rowSeed(77, 0), s)]++;
        double chi2 = 0;
        int dof = -1;
        for (int i = 0; i < l.length; i++) {
            if (p[i] == 0) {
                assertEquals(0, count[i], "token " + i + " was cut but drawn");
                continue;
            }
            double e = draws * p[i] / z;
            chi2 += (count[i] - e) * (count[i] - e) / e;
            dof++;
        }
        assertTrue(dof >= 4 && dof < 11, "the cuts should keep several but not all of the top 12, kept " + (dof + 1));
        // 99.9th percentile of chi-square with <= 12 degrees of freedom is about 32.9
        assertTrue(chi2 < 33, "chi-square " + chi2 + " with " + dof + " degrees of freedom");
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    @Test
    void drawDependsOnlyOnSeedAndStep() {
        float[] l = logits(new Random(1), 1000, 0.5);
        int a = SamplingReference.sample(l, 1f, 0, 1f, 1234, 17);
        assertEquals(a, SamplingReference.sample(l.clone(), 1f, 0, 1f, 1234, 17));
        int distinct = 0;
        int prev = -1;
        for (int step = 0; step < 50; step++) {
            int t = SamplingReference.sample(l, 1f, 0, 1f, 1234, step);
            if (t != prev) distinct++;
            prev = t;
        }
        assertTrue(distinct > 25, "consecutive steps should rarely repeat a draw over 1000 flat-ish tokens");
    }
}
