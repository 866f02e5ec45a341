package io.hydragen.generate;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.cpu.Bf16Split;
import io.hydragen.model.ModelLoader;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One engine's answers on a reference checkpoint (../shared/models) against Hugging Face transformers' float32 ones
 * (expected.json; its README says how it was made): every prompt's greedy ids (24 steps, Hydragen attention) and the
 * logits at its last prompt position, top 10 of the reference.
 *
 * @param logitError the largest |logit − reference| over those top-10 logits of every prompt
 * @param prompts    per prompt: the reference's greedy ids and top-2 margins, and the engine's ids
 */
record Bf16ReferenceRun(double logitError, List<Prompt> prompts) {
    record Prompt(String where, int[] want, double[] margin, int[] got) {
        /** Steps before the first whose reference margin is at most m (the steps a margin of m asks to compare). */
        int clearSteps(double m) {
            int t = 0;
            while (t < want.length && margin[t] > m) t++;
            return t;
        }

        /** The first step whose id differs from the reference, or -1. */
        int firstMismatch() {
            for (int t = 0; t < want.length; t++) if (t >= got.length || got[t] != want[t]) return t;
            return -1;
        }
    }

    /** The run with -Dhydragen.bf16.split set to {@code split} while the engine is built (then restored). */
    static Bf16ReferenceRun of(Path dir, EngineOptions options, String split) throws IOException {
        String before = System.getProperty(Bf16Split.PROPERTY);
        System.setProperty(Bf16Split.PROPERTY, split);
        try {
            return of(dir, options);
        } finally {
            if (before == null) System.clearProperty(Bf16Split.PROPERTY);
            else System.setProperty(Bf16Split.PROPERTY, before);
        }
    }

    static Bf16ReferenceRun of(Path dir, EngineOptions options) throws IOException {
        EngineOptions o = options.withAttention(AttentionMode.HYDRAGEN).withMinSharedTokens(4);
        try (Engine engine = Engine.open(ModelLoader.load(dir.toString()), o)) {
            double worst = 0;
            List<Prompt> out = new ArrayList<>();
            for (ReferencePromptSet set : ReferencePromptSet.read(dir)) {
                List<Completion> done = engine.generate(set.greedyRequests()).completions();
                List<float[]> last = engine.promptLogits(set.encode(engine.tokenizer()));
                for (int i = 0; i < set.prompts().size(); i++) {
                    ReferencePromptSet.Prompt p = set.prompts().get(i);
                    for (int k = 0; k < p.top10Ids().length; k++) {
                        worst = Math.max(worst, Math.abs(p.top10Logits()[k] - last.get(i)[p.top10Ids()[k]]));
                    }
                    out.add(new Prompt(dir.getFileName() + " " + set.name() + "[" + i + "]", p.greedyIds(), p.greedyMargins(), done.get(i).tokenIds()));
                }
            }
            return new Bf16ReferenceRun(worst, out);
        }
    }

    /**
     * The smallest margin m for which greedy ids equal the reference on every step before the first whose margin is at
     * most m, in every prompt: per prompt the least margin up to its first differing step (0 when none differs).
     */
    double neededMargin() {
        double need = 0;
        for (Prompt p : prompts) {
            int t = p.firstMismatch();
            if (t < 0) continue;
            double least = Double.POSITIVE_INFINITY;
            for (int s = 0; s <= t; s++) least = Math.min(least, p.margin[s]);
            need = Math.max(need, least);
        }
        return need;
    }

    /** Steps compared at margin m, over all prompts. */
    int clearSteps(double m) {
        int n = 0;
        for (Prompt p : prompts) n += p.clearSteps(m);
        return n;
    }

    /**
     * Prints this run's figures and asserts what the bf16 parity tests ask: greedy ids equal the reference on every
     * step before the first whose margin is at most {@code margin} (and there is such a step), and the largest logit
     * error is below {@code logitBound} but not 0 (0 would mean the bf16 path did not run).
     */
    void assertMatches(String setting, double margin, double logitBound) {
        System.out.printf("%s: largest logit error vs transformers fp32 %.5f; greedy ids equal above margin %.3f; %d steps compared at %.2f%n",
                setting, logitError, neededMargin(), clearSteps(margin), margin);
        for (Prompt p : prompts) {
            for (int t = 0; t < p.clearSteps(margin); t++) {
                assertEquals(p.want()[t], p.got()[t], p.where() + " (" + setting + ") greedy token " + t);
            }
        }
        assertTrue(clearSteps(margin) > 0, setting + ": no step with a margin above " + margin);
        assertTrue(logitError < logitBound, setting + ": largest logit error " + logitError);
        assertTrue(logitError > 0, setting + ": bf16 logits equal fp32's exactly: the bf16 path did not run");
    }
}
