package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.attention.AttentionMode;
import io.hydragen.constrain.Constraint;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generated-token and prompt log-probabilities on synthetic:tiny, against an independent computation: each prefix of
 * the prompt prefilled on its own ({@link Engine#promptLogits}, no sharing), its next-token logits through log-softmax.
 * This checks the segment bookkeeping (a segment's first token predicted by its parent's last position), both
 * schedulers, every attention mode, the prefix cache, batch invariance and constrained rows.
 */
class LogprobsEngineTest {
    static final double TOL = 1e-4;
    static Model model;
    static Engine reference;

    @BeforeAll
    static void open() {
        model = ModelLoader.load("synthetic:tiny");
        reference = Engine.open(model, EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(100_000));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static Engine engine(AttentionMode mode, int prefixCache) {
        return Engine.open(model, EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(8)
                .withAttention(mode).withPrefixCacheTokens(prefixCache));
    }

    static SamplingParams params(int maxNew, Integer logprobs, Integer promptLogprobs) {
        return new SamplingParams(maxNew, 0, 0, 1, 0, List.of(), List.of(), true, 1).withLogprobs(logprobs).withPromptLogprobs(promptLogprobs);
    }

    static List<GenerationRequest> hierarchical(SamplingParams p) {
        List<GenerationRequest> reqs = new ArrayList<>();
        for (String doc : List.of(EngineBehaviourTest.DOC_A, EngineBehaviourTest.DOC_B)) {
            for (String q : List.of("Where?", "When was it?", "Who lives there?")) {
                reqs.add(GenerationRequest.ofText("r" + reqs.size(), EngineBehaviourTest.INSTRUCTION + doc + q, p));
            }
        }
        reqs.add(GenerationRequest.ofText("own", "A prompt that shares nothing with the others", p));
        return reqs;
    }

    /** log-softmax of the next-token logits after tokens[0, n), each prefix prefilled alone. */
    static List<float[]> nextLogits(int[] tokens, int from, int to) {
        List<int[]> prefixes = new ArrayList<>();
        for (int n = from; n <= to; n++) prefixes.add(Arrays.copyOf(tokens, n));
        return reference.promptLogits(prefixes);
    }

    static void assertEntry(float[] logits, int id, TokenLogprob e, int k, String where) {
        TokenLogprob want = LogSoftmax.of(logits, id, k);
        assertEquals(id, e.id(), where + " id");
        assertEquals(want.logprob(), e.logprob(), TOL, where + " logprob");
        assertEquals(k, e.top().size(), where + " alternatives");
        for (int i = 0; i < k; i++) assertEquals(want.top().get(i).logprob(), e.top().get(i).logprob(), TOL, where + " top " + i);
        assertNotNull(e.token(), where + " token text");
    }

    /** Every prompt and completion entry of every row equals the independent computation. */
    static void assertMatchesReference(List<Completion> out, int k, String where) {
        for (Completion c : out) {
            String w = where + " " + c.requestId();
            assertEquals(FinishReason.LENGTH, c.finishReason(), w + ": " + c.error());
            int[] prompt = c.promptTokenIds();
            int[] all = new int[prompt.length + c.tokenIds().length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(c.tokenIds(), 0, all, prompt.length, c.tokenIds().length);
            List<float[]> logits = nextLogits(all, 1, all.length - 1);    // logits.get(i) predicts all[i + 1]
            assertEquals(prompt.length, c.promptLogprobs().size(), w);
            assertNull(c.promptLogprobs().get(0), w + " first prompt entry");
            for (int p = 1; p < prompt.length; p++) assertEntry(logits.get(p - 1), prompt[p], c.promptLogprobs().get(p), k, w + " prompt " + p);
            assertEquals(c.tokenIds().length, c.logprobs().size(), w);
            double sum = 0;
            for (int t = 0; t < c.tokenIds().length; t++) {
                assertEntry(logits.get(prompt.length - 1 + t), c.tokenIds()[t], c.logprobs().get(t), k, w + " completion " + t);
                assertEquals(1, c.logprobs().get(t).rank(), w + " greedy tokens are the argmax");
                sum += c.logprobs().get(t).logprob();
            }
            assertEquals(sum, c.cumulativeLogprob(), 1e-9, w + " cumulative");
        }
    }

    @Test
    void sharedSegmentsInEveryModeAndBothSchedulers() {
        for (AttentionMode mode : List.of(AttentionMode.HYDRAGEN, AttentionMode.PER_SEQUENCE, AttentionMode.PER_SEQUENCE_SHARED_KV)) {
            try (Engine e = engine(mode, 0)) {
                for (Scheduler sched : Scheduler.values()) {
                    GenerationResult r = e.generate(hierarchical(params(4, 3, 3)), e.options().batchOptions().withScheduler(sched), ProgressListener.NONE);
                    assertTrue(r.stats().sharedPromptTokens() > 0, "prefixes are shared");
                    assertMatchesReference(r.completions(), 3, mode + " " + sched);
                }
            }
        }
    }

    @Test
    void prefixCacheReuseStillGivesEveryPromptEntry() {
        try (Engine e = engine(AttentionMode.HYDRAGEN, 4096)) {
            e.generate(hierarchical(params(2, null, null)));            // fills the cache with the instruction
            for (Scheduler sched : Scheduler.values()) {
                GenerationResult r = e.generate(hierarchical(params(2, 1, 1)), e.options().batchOptions().withScheduler(sched), ProgressListener.NONE);
                assertMatchesReference(r.completions(), 1, "cached " + sched);
            }
        }
    }

    @Test
    void batchMatesDoNotChangeARowsValues() {
        try (Engine e = engine(AttentionMode.HYDRAGEN, 0)) {
            List<GenerationRequest> all = hierarchical(params(4, 2, 2));
            // a batch mate asking for more alternatives, and one asking for none
            all.add(GenerationRequest.ofText("more", EngineBehaviourTest.INSTRUCTION + EngineBehaviourTest.DOC_A + "Why?", params(4, 5, 5)));
            all.add(GenerationRequest.ofText("plain", EngineBehaviourTest.INSTRUCTION + EngineBehaviourTest.DOC_A + "How?", params(4, null, null)));
            Completion together = e.generate(all).completions().get(1);
            Completion alone = e.generate(List.of(all.get(1))).completions().get(0);
            assertArrayEquals(alone.tokenIds(), together.tokenIds());
            for (int p = 1; p < alone.promptLogprobs().size(); p++) {
                assertEquals(alone.promptLogprobs().get(p).logprob(), together.promptLogprobs().get(p).logprob(), TOL);
                assertEquals(alone.promptLogprobs().get(p).top().stream().map(TopLogprob::id).toList(),
                        together.promptLogprobs().get(p).top().stream().map(TopLogprob::id).toList());
            }
            for (int t = 0; t < alone.logprobs().size(); t++) assertEquals(alone.logprobs().get(t).logprob(), together.logprobs().get(t).logprob(), TOL);
            Completion plain = e.generate(all).completions().get(all.size() - 1);
            assertNull(plain.logprobs());
            assertNull(plain.cumulativeLogprob());
            assertNull(plain.promptLogprobs());
        }
    }

    /** Records the most logits rows any forward pass asked for. */
    static final class LogitRowsProbe implements io.hydragen.backend.Backend {
        final io.hydragen.backend.Backend inner;
        int most;

        LogitRowsProbe(io.hydragen.backend.Backend inner) { this.inner = inner; }

        @Override public String name() { return inner.name(); }
        @Override public io.hydragen.model.ModelConfig config() { return inner.config(); }
        @Override public io.hydragen.backend.KvSegment newSegment(int capacity) { return inner.newSegment(capacity); }
        @Override public long kvBytesPerToken() { return inner.kvBytesPerToken(); }
        @Override public long availableMemoryBytes() { return inner.availableMemoryBytes(); }
        @Override public void copyKv(io.hydragen.backend.KvSegment a, int af, io.hydragen.backend.KvSegment b, int bf, int n) { inner.copyKv(a, af, b, bf, n); }
        @Override public void close() { inner.close(); }

        @Override
        public float[][] forward(io.hydragen.backend.ForwardBatch b, AttentionMode mode) {
            most = Math.max(most, b.logitRows().length);
            return inner.forward(b, mode);
        }
    }

    @Test
    void longPromptsAskForBoundedLogitsPerPass() {
        // two prompts of ~700 tokens sharing ~600: more logits rows than one pass may ask for, in both schedulers
        String shared = "The quick brown fox jumps over the lazy dog. ".repeat(14);
        List<GenerationRequest> reqs = List.of(GenerationRequest.ofText("a", shared + "First question here, please answer it.", params(2, 0, 2)),
                GenerationRequest.ofText("b", shared + "Second question, a different one entirely.", params(2, 0, 2)));
        for (Scheduler sched : Scheduler.values()) {
            LogitRowsProbe probe = new LogitRowsProbe(new io.hydragen.backend.cpu.CpuBackend(model, 2));
            try (Engine e = Engine.open(model, probe, EngineOptions.of("synthetic:tiny").withMinSharedTokens(8))) {
                GenerationResult r = e.generate(reqs, e.options().batchOptions().withScheduler(sched), ProgressListener.NONE);
                assertTrue(r.completions().get(0).promptTokenIds().length > 2 * LogitRowBudget.PER_PASS);
                assertTrue(probe.most <= LogitRowBudget.PER_PASS, sched + ": " + probe.most + " logits rows in one pass");
                assertTrue(probe.most >= LogitRowBudget.PER_PASS / 2, sched + ": passes are not needlessly small");
                // spot checks against the independent computation (all positions would take a while here)
                Completion c = r.completions().get(1);
                int[] prompt = c.promptTokenIds();
                for (int p : new int[] {1, 255, 256, 257, 600, prompt.length - 1}) {
                    assertEntry(nextLogits(prompt, p, p).get(0), prompt[p], c.promptLogprobs().get(p), 2, sched + " prompt " + p);
                }
            }
        }
    }

    @Test
    void maxNewTokensZeroOnlyPrefills() {
        try (Engine e = engine(AttentionMode.HYDRAGEN, 0)) {
            for (Scheduler sched : Scheduler.values()) {
                GenerationResult r = e.generate(hierarchical(params(0, 2, 2)), e.options().batchOptions().withScheduler(sched), ProgressListener.NONE);
                for (Completion c : r.completions()) {
                    assertEquals(0, c.tokenIds().length);
                    assertEquals(0.0, c.cumulativeLogprob());
                }
                assertEquals(0, r.stats().generatedTokens(), sched + ": nothing generated");
                assertMatchesReference(r.completions(), 2, "max_new_tokens 0 " + sched);
            }
        }
    }

    @Test
    void constrainedRowsReportTheUnconstrainedDistribution() {
        try (Engine e = engine(AttentionMode.HYDRAGEN, 0)) {
            SamplingParams p = params(24, 5, null).withConstraint(Constraint.choice(List.of("zebra crossing", "yak")));
            Completion c = e.generate(List.of(GenerationRequest.ofText("c", EngineBehaviourTest.INSTRUCTION + "Pick one.", p))).completions().get(0);
            assertEquals(FinishReason.STOP, c.finishReason(), String.valueOf(c.error()));
            int[] prompt = c.promptTokenIds();
            int[] all = Arrays.copyOf(prompt, prompt.length + c.tokenIds().length);
            System.arraycopy(c.tokenIds(), 0, all, prompt.length, c.tokenIds().length);
            List<float[]> logits = nextLogits(all, prompt.length, all.length - 1);
            boolean outsideTheMask = false;
            for (int t = 0; t < c.tokenIds().length; t++) {
                assertEntry(logits.get(t), c.tokenIds()[t], c.logprobs().get(t), 5, "constrained " + t);
                if (c.logprobs().get(t).rank() > 1) outsideTheMask = true;
            }
            // a random model does not prefer "zebra crossing": the constraint forced tokens the raw distribution ranks lower
            assertTrue(outsideTheMask, "some forced token was not the unconstrained argmax");
        }
    }
}
