package io.hydragen.constrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The per-step mask forms (dense and sparse masked copies, the 32-bit device bitmap) against the id-by-id
 * definition, and the parallel whole compile against lazy per-state masks.
 */
class ConstrainMaskApiTest {

    /** The definition: an id keeps its logit iff its mask bit is set, or it is an allowed EOS. */
    static float[] reference(float[] logits, long[] mask, boolean eosAllowed, int[] eos) {
        float[] out = logits.clone();
        for (int i = 0; i < out.length; i++) {
            boolean keep = LogitMask.allowed(mask, i);
            if (eosAllowed) for (int e : eos) keep |= e == i;
            if (!keep) out[i] = Float.NEGATIVE_INFINITY;
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 63, 64, 65, 1000, 32000})
    void maskedCopiesMatchTheDefinitionAtEveryDensity(int vocab) {
        SplittableRandom r = new SplittableRandom(vocab);
        int[] eos = {vocab - 1, 0};
        for (double density : new double[] {0, 0.001, 0.1, 0.24, 0.26, 0.5, 0.99, 1}) {
            long[] mask = new long[(vocab + 63) / 64];
            for (int i = 0; i < vocab; i++) if (r.nextDouble() < density) mask[i >>> 6] |= 1L << (i & 63);
            if (density == 1) java.util.Arrays.fill(mask, -1L); // bits past the vocabulary set too: ignored
            float[] logits = new float[vocab];
            for (int i = 0; i < vocab; i++) logits[i] = (float) r.nextGaussian();
            float[] before = logits.clone();
            for (boolean eosAllowed : new boolean[] {false, true}) {
                int allowed = 0;
                for (int i = 0; i < vocab; i++) if (LogitMask.allowed(mask, i)) allowed++;
                float[] want = reference(logits, mask, eosAllowed, eos);
                assertArrayEquals(want, LogitMask.masked(logits, mask, allowed, eosAllowed, eos), "vocab " + vocab + " density " + density);
                assertArrayEquals(before, logits, "the raw logits are left for log-probabilities");
                float[] inPlace = logits.clone();
                LogitMask.apply(inPlace, mask, eosAllowed, eos);
                assertArrayEquals(want, inPlace);
                int pick = LogitMask.argmax(logits, mask, eosAllowed, eos);
                boolean any = allowed > 0 || eosAllowed;
                assertEquals(any ? io.hydragen.sampling.Sampler.argmax(want) : -1, pick, "greedy pick, density " + density);
                if (any) { // a tie goes to the lower id, as in the sampler's argmax
                    float[] tied = logits.clone();
                    for (int i = 0; i < vocab; i++) if (want[i] != Float.NEGATIVE_INFINITY) tied[i] = 1f;
                    assertEquals(io.hydragen.sampling.Sampler.argmax(reference(tied, mask, eosAllowed, eos)), LogitMask.argmax(tied, mask, eosAllowed, eos));
                }
            }
        }
    }

    @Test
    void deviceBitmapHasTheMasksBitsIn32BitWords() {
        Fixtures.Tok tok = Fixtures.BYTE;
        TokenIndex index = Constraint.regex("[a-c]{1,3}(?:é|😀)?").index(tok.tokenizer(), 601);
        for (int s = 0; s < index.stateCount(); s++) {
            int[] words = index.allowedWords32(s);
            assertEquals((601 + 31) / 32, words.length);
            for (int id = 0; id < 601; id++) {
                assertEquals(LogitMask.allowed(index.allowedMask(s), id), (words[id >>> 5] >>> (id & 31) & 1) == 1, "state " + s + " id " + id);
            }
            assertEquals(LogitMask.count(index.allowedMask(s)), index.allowedCount(s));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"byte", "tiny-llama-bpe", "tiny-llama-sp"})
    void parallelWholeCompileEqualsLazyMasksAndThePerTokenWalk(String tokName) {
        Fixtures.Tok tok = Fixtures.byName(tokName);
        Constraint c = Constraint.jsonSchema(ConstrainJsonSchemaTest.json(ConstrainCompileTimeTest.PRODUCT));
        TokenIndex.Vocab vocab = new TokenIndex.Vocab(io.hydragen.tokenizer.TokenBytes.table(tok.tokenizer(), tok.vocabSize()), tok.vocabSize());
        ByteDfa dfa = c.byteDfa();
        TokenIndex lazy = new TokenIndex(dfa, vocab), all = new TokenIndex(dfa, vocab);
        all.precomputeAll(4);
        assertEquals(dfa.stateCount(), all.masksComputed());
        long[][] perToken = ConstraintBench.perTokenMasks(dfa, vocab);
        int nonEmpty = 0;
        for (int s = 0; s < dfa.stateCount(); s++) {
            assertArrayEquals(perToken[s], lazy.allowedMask(s), "state " + s);
            assertArrayEquals(perToken[s], all.allowedMask(s), "state " + s);
            assertArrayEquals(perToken[s], ConstraintBench.trieBefore(dfa, vocab, s), "state " + s);
            if (LogitMask.count(perToken[s]) > 0) nonEmpty++;
        }
        assertTrue(nonEmpty > dfa.stateCount() / 2, "masks are not trivially empty: " + nonEmpty);
    }

    @Test
    void benchReportsConsistentFigures() {
        ConstraintBench.Result r = ConstraintBench.run("choice", Constraint.choice(List.of("alpha", "beta", "gamma")), Fixtures.BYTE.tokenizer(), 600, 1, 2);
        assertEquals(600, r.vocabSize());
        assertTrue(r.byteStates() > 5 && r.meanAllowed() >= 1 && r.meanAllowed() <= 3, r.toString());
    }
}
