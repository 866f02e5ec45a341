package io.hydragen.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.attention.AttentionMode;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.generate.ProgressListener;
import io.hydragen.generate.Scheduler;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.SharedModels;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scoring candidates: log-likelihoods against Hugging Face transformers on the reference checkpoints (the "scoring"
 * part of generate/logprob-reference.json, made by gpu-engine/src/test/python/logprob_reference.py: candidate tokens
 * found as lm-evaluation-harness does, log_softmax of transformers' float32 logits summed), and the two-level plan.
 */
class ScorerTest {
    static final String FEW_SHOT = "Answer each question with one word.\nQ: Is fire hot?\nA: yes\nQ: Is ice hot?\nA: no\n";

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-bpe", "tiny-llama-sp"})
    void scoresEqualTheSumOfTransformersLogSoftmax(String model) throws Exception {
        Path dir = SharedModels.require(model);
        JsonNode ref;
        try (InputStream in = io.hydragen.generate.Completion.class.getResourceAsStream("logprob-reference.json")) {
            ref = new ObjectMapper().readTree(in).get(model).get("scoring");
        }
        for (AttentionMode mode : List.of(AttentionMode.HYDRAGEN, AttentionMode.PER_SEQUENCE, AttentionMode.PER_SEQUENCE_SHARED_KV)) {
            EngineOptions o = EngineOptions.of(dir.toString()).withBackend("cpu").withCpuDtype("fp32").withAttention(mode).withMinSharedTokens(2);
            try (Engine engine = Engine.open(ModelLoader.load(dir.toString()), o)) {
                List<ScoreRequest> reqs = new ArrayList<>();
                for (JsonNode c : ref) {
                    List<String> cands = new ArrayList<>();
                    for (JsonNode s : c.get("scores")) cands.add(s.get("candidate").asText());
                    reqs.add(ScoreRequest.ofText("q" + reqs.size(), c.get("prompt").asText(), cands));
                }
                Scores out = engine.score(reqs, o.batchOptions(), ProgressListener.NONE);
                for (int r = 0; r < reqs.size(); r++) {
                    ScoreResult got = out.results().get(r);
                    assertNull(got.error());
                    JsonNode want = ref.get(r).get("scores");
                    String bestWant = null;
                    double bestLp = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < want.size(); c++) {
                        String where = model + " " + mode + " " + r + "/" + c;
                        CandidateScore s = got.scores().get(c);
                        assertEquals(want.get(c).get("candidate").asText(), s.candidate());
                        assertEquals(want.get(c).get("logprob").asDouble(), s.logprob(), 1e-3 * s.tokens(), where);
                        assertEquals(want.get(c).get("tokens").asInt(), s.tokens(), where);
                        assertEquals(want.get(c).get("greedy").asBoolean(), s.greedy(), where);
                        assertFalse(s.separatelyEncoded(), where);
                        if (want.get(c).get("logprob").asDouble() > bestLp) { bestLp = want.get(c).get("logprob").asDouble(); bestWant = s.candidate(); }
                    }
                    assertEquals(bestWant, got.best());
                }
            }
        }
    }

    @Test
    void candidatesOfOnePromptNeverPrefillItTwice() {
        // min_shared_tokens 1: every common run of tokens is one segment, so prefilled tokens = nodes of the token trie
        EngineOptions o = EngineOptions.of("synthetic:tiny").withBackend("cpu").withMinSharedTokens(1);
        try (Engine engine = Engine.open(o)) {
            List<ScoreRequest> reqs = new ArrayList<>();
            for (String q : List.of("Is snow cold?", "Is the sun cold?", "Is tea hot?")) {
                reqs.add(ScoreRequest.ofText(q, FEW_SHOT + "Q: " + q + "\nA:", List.of(" yes", " no", " maybe", " never at all")));
            }
            for (Scheduler sched : Scheduler.values()) {
                Scores out = engine.score(reqs, o.batchOptions().withScheduler(sched), ProgressListener.NONE);
                Set<String> trie = new HashSet<>();
                long wholeTokens = 0;
                for (ScoreRequest r : reqs) {
                    for (String c : r.candidates()) {
                        int[] ids = CandidateTokens.of(engine.tokenizer(), r.prompt(), c, true).whole();
                        wholeTokens += ids.length;
                        for (int n = 1; n <= ids.length; n++) trie.add(java.util.Arrays.toString(java.util.Arrays.copyOf(ids, n)));
                    }
                }
                assertEquals(trie.size(), out.stats().prefilledTokens(), sched + ": each distinct prefix prefilled once");
                assertTrue(out.stats().prefilledTokens() < wholeTokens / 3, sched + ": far fewer than one prefill per pair");
                assertEquals(0, out.stats().generatedTokens());
                for (ScoreResult r : out.results()) assertEquals(4, r.scores().size());
            }
            // the shared plan gives what each pair scored alone gives
            Scores together = engine.score(reqs, o.batchOptions(), ProgressListener.NONE);
            ScoreResult alone = engine.score(List.of(ScoreRequest.ofText("x", reqs.get(1).prompt(), List.of(" maybe"))), o.batchOptions(),
                    ProgressListener.NONE).results().get(0);
            assertEquals(alone.scores().get(0).logprob(), together.results().get(1).scores().get(2).logprob(), 1e-4);
        }
    }

    @Test
    void aCachedFewShotPrefixIsReusedAndScoresStayTheSame() {
        EngineOptions o = EngineOptions.of("synthetic:tiny").withBackend("cpu").withMinSharedTokens(4).withPrefixCacheTokens(4096);
        try (Engine engine = Engine.open(o)) {
            List<ScoreRequest> reqs = new ArrayList<>();
            for (String q : List.of("Is snow cold?", "Is tea hot?")) reqs.add(ScoreRequest.ofText(q, FEW_SHOT + "Q: " + q + "\nA:", List.of(" yes", " no")));
            Scores first = engine.score(reqs, o.batchOptions(), ProgressListener.NONE);   // nothing cached yet
            for (Scheduler sched : Scheduler.values()) {
                Scores again = engine.score(reqs, o.batchOptions().withScheduler(sched), ProgressListener.NONE);
                assertTrue(again.stats().prefilledTokens() < first.stats().prefilledTokens(),
                        sched + ": the cached prefix is copied, not prefilled: " + first.stats().prefilledTokens() + " then " + again.stats().prefilledTokens());
                for (int r = 0; r < reqs.size(); r++) {
                    for (int c = 0; c < 2; c++) {
                        assertEquals(first.results().get(r).scores().get(c).logprob(), again.results().get(r).scores().get(c).logprob(), 1e-4, sched + " " + r + "/" + c);
                    }
                }
            }
        }
    }

    @Test
    void aBadRequestGetsItsErrorAndTheOthersAreScored() {
        try (Engine engine = Engine.open(EngineOptions.of("synthetic:tiny").withBackend("cpu"))) {
            List<ScoreRequest> reqs = List.of(
                    ScoreRequest.ofText("ok", "Colour of the sky:", List.of(" blue", " green")),
                    ScoreRequest.ofText("empty", "Colour:", List.of(" red", "")),
                    ScoreRequest.ofText("none", "Colour:", List.of()),
                    ScoreRequest.ofText("long", "x".repeat(5000), List.of(" y")),
                    ScoreRequest.ofMessages("chat", List.of(new io.hydragen.chat.ChatMessage("user", "hi")), true, null, List.of(" a")));
            List<ScoreResult> out = engine.score(reqs, engine.options().batchOptions(), ProgressListener.NONE).results();
            assertNull(out.get(0).error());
            assertEquals(2, out.get(0).scores().size());
            assertEquals("candidate 1 is empty", out.get(1).error());
            assertEquals("no candidates", out.get(2).error());
            assertTrue(out.get(3).error().contains("context"), out.get(3).error());
            assertTrue(out.get(4).error().contains("no chat template"), out.get(4).error());
            for (int i = 1; i < out.size(); i++) assertNull(out.get(i).best());
        }
    }

    @Test
    void candidateTokensFollowLmEvaluationHarness() {
        Path dir = SharedModels.require("tiny-llama-bpe");
        try (var model = ModelLoader.load(dir.toString())) {
            var tok = model.tokenizer();
            // trailing whitespace of the context moves to the candidate
            CandidateTokens t = CandidateTokens.of(tok, "Answer: ", "yes", true);
            assertEquals(java.util.Arrays.toString(tok.encode("Answer:", true)),
                    java.util.Arrays.toString(java.util.Arrays.copyOf(t.whole(), t.contextLength())));
            assertEquals(java.util.Arrays.toString(tok.encode("Answer: yes", true)), java.util.Arrays.toString(t.whole()));
            assertFalse(t.separatelyEncoded());
            // GPT-2 merges across the boundary ("The cat" + "s" is "The cats"): encoded separately, and said so
            CandidateTokens merged = CandidateTokens.of(tok, "The cat", "s", true);
            int[] whole = tok.encode("The cats", true), ctx = tok.encode("The cat", true);
            assertFalse(java.util.Arrays.equals(ctx, java.util.Arrays.copyOf(whole, ctx.length)), "the fixture's merge");
            assertTrue(merged.separatelyEncoded());
            assertEquals(ctx.length, merged.contextLength());
            assertEquals(java.util.Arrays.toString(tok.encode("s", false)),
                    java.util.Arrays.toString(java.util.Arrays.copyOfRange(merged.whole(), ctx.length, merged.whole().length)));
        }
    }
}
