package io.hydragen.sampling;

import io.hydragen.backend.cuda.reference.SamplingReference;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The host sampler: argmax for greedy; the same token as SamplingReference (sampling.cu step for step, with full sorts)
 * on random rows; draws distributed as the exact probabilities (computed here in double from the logits, by the
 * definition: softmax of l/T, top-k, smallest top-p head) under each cut.
 */
class SamplerTest {

    private static float[] gaussian(Random r, int v, double sigma) {
        float[] l = new float[v];
        for (int i = 0; i < v; i++) l[i] = (float) (r.nextGaussian() * sigma);
        return l;
    }

    @Test
    void greedyIsTheArgmaxAndTiesGoToTheLowestId() {
        float[] l = {0.5f, 3f, -1f, 3f, 2f};
        assertEquals(1, Sampler.sample(l, RowSampling.GREEDY));
        assertEquals(1, Sampler.sample(l, new RowSampling(0.8f, 1, 1f, 7, 0)), "top-k 1 is greedy");
        float[] masked = {Float.NEGATIVE_INFINITY, -2f, Float.NEGATIVE_INFINITY, -2f};
        assertEquals(1, Sampler.sample(masked, RowSampling.GREEDY));
    }

    @Test
    void picksWhatTheKernelMirrorPicks() {
        Random r = new Random(2024);
        int cases = 0;
        for (int c = 0; c < 400; c++) {
            int v = 1 + r.nextInt(c < 200 ? 60 : 3000);
            float[] l = gaussian(r, v, 0.3 + 4 * r.nextDouble());
            if (r.nextInt(4) == 0) for (int i = 0; i < v; i++) l[i] = Math.round(l[i]);        // many ties
            if (r.nextInt(4) == 0) for (int i = 0; i < v; i++) if (r.nextInt(3) == 0) l[i] = Float.NEGATIVE_INFINITY; // masked
            if (Arrays.stream(toDouble(l)).allMatch(Double::isInfinite)) l[r.nextInt(v)] = 0f;
            float t = r.nextInt(8) == 0 ? 0f : 0.2f + 1.6f * r.nextFloat();
            int k = r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(Math.max(1, v + 2));
            float p = r.nextInt(3) == 0 ? 1f : 0.05f + 0.95f * r.nextFloat();
            long seed = SamplingSeeds.rowSeed(r.nextLong(), r.nextInt(4));
            for (int step = 0; step < 3; step++) {
                int step0 = r.nextInt(1 << 20);
                assertEquals(SamplingReference.sample(l, t, k, p, seed, step0), Sampler.sample(l, new RowSampling(t, k, p, seed, step0)),
                        "case " + c + ": v=" + v + " T=" + t + " k=" + k + " p=" + p + " step=" + step0);
                cases++;
            }
        }
        assertEquals(1200, cases);
    }

    @Test
    void temperatureAloneFollowsTheSoftmax() {
        float[] l = gaussian(new Random(11), 20, 1.0);
        chiSquare(l, 0.7f, 0, 1f, 20);
    }

    @Test
    void topKKeepsTheKLargest() {
        float[] l = gaussian(new Random(12), 30, 1.0);
        chiSquare(l, 1.3f, 7, 1f, 7);
    }

    @Test
    void topPKeepsTheSmallestHeadReachingP() {
        float[] l = gaussian(new Random(13), 30, 1.0);
        chiSquare(l, 1.0f, 0, 0.6f, -1);
    }

    @Test
    void topKThenTopP() {
        float[] l = gaussian(new Random(14), 40, 0.8);
        chiSquare(l, 1.2f, 12, 0.8f, -1);
    }

    /**
     * 40000 draws (steps 0..39999 of one seed) against the exact kept distribution; {@code expectKept} ≥ 0 checks
     * the kept set's size. The bound dof + 6·sqrt(2·dof) is far in the tail (for 19 degrees of freedom it is 56, the
     * 99.9th percentile 43.8), so only a wrong distribution fails; the seed is fixed, so the test is deterministic.
     */
    private static void chiSquare(float[] l, float temp, int topK, float topP, int expectKept) {
        double[] p = exactKept(l, temp, topK, topP);
        int draws = 40000;
        int[] count = new int[l.length];
        long seed = SamplingSeeds.rowSeed(99, 0);
        for (int s = 0; s < draws; s++) count[Sampler.sample(l, new RowSampling(temp, topK, topP, seed, s))]++;
        double chi2 = 0;
        int kept = 0;
        for (int i = 0; i < l.length; i++) {
            if (p[i] == 0) {
                assertEquals(0, count[i], "token " + i + " was cut but drawn");
                continue;
            }
            kept++;
            double e = draws * p[i];
            chi2 += (count[i] - e) * (count[i] - e) / e;
        }
        if (expectKept >= 0) assertEquals(expectKept, kept);
        assertTrue(kept >= 2, "a test of a distribution needs two kept tokens");
        int dof = kept - 1;
        double bound = dof + 6 * Math.sqrt(2.0 * dof);
        assertTrue(chi2 < bound, "chi-square " + chi2 + " with " + dof + " degrees of freedom (bound " + bound + ")");
    }

    /** The kept, renormalised probabilities by the definition, in double; asserts the top-p cut is not a near tie. */
    private static double[] exactKept(float[] l, float temp, int topK, float topP) {
        int v = l.length;
        Integer[] order = IntStream.range(0, v).boxed().sorted(Comparator.comparingDouble(i -> -l[i])).toArray(Integer[]::new);
        double max = l[order[0]];
        double[] w = new double[v];
        int keep = topK > 0 ? Math.min(topK, v) : v;
        double z = 0;
        for (int j = 0; j < keep; j++) z += w[order[j]] = Math.exp((l[order[j]] - max) / temp);
        if (topP < 1f) {
            double cum = 0;
            int head = keep;
            for (int j = 0; j < keep; j++) {
                cum += w[order[j]] / z;
                if (cum >= topP) { head = j + 1; break; }
            }
            assertTrue(cum - topP > 1e-4 && cum - w[order[head - 1]] / z < topP - 1e-4, "top-p cut too close to call");
            for (int j = head; j < keep; j++) w[order[j]] = 0;
            z = 0;
            for (double x : w) z += x;
        }
        for (int i = 0; i < v; i++) w[i] /= z;
        return w;
    }

    @Test
    void aDrawDependsOnlyOnSeedAndStep() {
        float[] l = gaussian(new Random(3), 500, 0.5);
        RowSampling s = new RowSampling(1f, 0, 0.95f, SamplingSeeds.rowSeed(1234, 2), 17);
        int a = Sampler.sample(l, s);
        Sampler.sample(gaussian(new Random(4), 5000, 3), new RowSampling(0.5f, 9, 0.5f, 1, 1)); // other work in between
        assertEquals(a, Sampler.sample(l.clone(), s));
        int distinct = 0, prev = -1;
        for (int step = 0; step < 50; step++) {
            int t = Sampler.sample(l, new RowSampling(1f, 0, 0.95f, s.seed(), step));
            if (t != prev) distinct++;
            prev = t;
        }
        assertTrue(distinct > 25, "consecutive steps should rarely repeat a draw over 500 flat-ish tokens, got " + distinct);
    }

    @Test
    void maskedTokensAreNeverDrawn() {
        Random r = new Random(8);
        float[] l = gaussian(r, 200, 1);
        for (int i = 0; i < l.length; i++) if (i % 7 != 3) l[i] = Float.NEGATIVE_INFINITY;
        for (int s = 0; s < 2000; s++) {
            int t = Sampler.sample(l, new RowSampling(2f, 0, 1f, 5, s));
            assertEquals(3, t % 7, "drew masked token " + t);
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
