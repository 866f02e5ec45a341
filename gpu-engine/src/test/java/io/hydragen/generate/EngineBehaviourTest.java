package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.attention.AttentionMode;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The engine on synthetic:tiny (no files): sharing shapes, modes, sampling, stop conditions, bad requests. */
class EngineBehaviourTest {
    static Model model;
    static Engine hydragen, perSequence, perSequenceShared, flat;

    static final String INSTRUCTION = "You are a careful assistant. Answer in one word. ";
    static final String DOC_A = "Document A: the river runs north through the old town and the mill. ";
    static final String DOC_B = "Document B: the bridge was built of stone in the year of the flood. ";

    @BeforeAll
    static void open() {
        model = ModelLoader.load("synthetic:tiny");
        EngineOptions o = EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(8);
        hydragen = Engine.open(model, o);
        perSequence = Engine.open(model, o.withAttention(AttentionMode.PER_SEQUENCE));
        perSequenceShared = Engine.open(model, o.withAttention(AttentionMode.PER_SEQUENCE_SHARED_KV));
        flat = Engine.open(model, o.withMinSharedTokens(100_000)); // nothing is shared
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static SamplingParams greedy(int n) {
        return new SamplingParams(n, 0, 0, 1, 0, List.of(), List.of(), true, 1);
    }

    static List<GenerationRequest> hierarchical(SamplingParams p) {
        List<GenerationRequest> reqs = new ArrayList<>();
        for (String doc : List.of(DOC_A, DOC_B)) {
            for (String q : List.of("Where?", "When was it?", "Who lives there?")) {
                reqs.add(GenerationRequest.ofText("r" + reqs.size(), INSTRUCTION + doc + q, p));
            }
        }
        return reqs;
    }

    static List<List<Integer>> ids(GenerationResult r) {
        List<List<Integer>> out = new ArrayList<>();
        for (Completion c : r.completions()) {
            List<Integer> l = new ArrayList<>();
            for (int t : c.tokenIds()) l.add(t);
            out.add(l);
        }
        return out;
    }

    @Test
    void hierarchicalSharingGivesTheSameTokensAsPerSequenceAndAsNoSharing() {
        List<GenerationRequest> reqs = hierarchical(greedy(12));
        GenerationResult h = hydragen.generate(reqs), p = perSequence.generate(reqs), f = flat.generate(reqs);
        assertEquals(ids(p), ids(h));
        assertEquals(ids(perSequenceShared.generate(reqs)), ids(h));
        assertEquals(ids(f), ids(h));
        assertTrue(h.stats().sharedPromptTokens() > 0);
        assertTrue(h.stats().prefilledTokens() < f.stats().prefilledTokens(), "shared segments are prefilled once");
        assertEquals(0, f.stats().sharedPromptTokens());
        // instruction + document are shared by every row
        int sharedOfFirst = h.completions().get(0).sharedPromptTokens();
        assertTrue(sharedOfFirst >= hydragen.tokenizer().encode(INSTRUCTION + DOC_A, true).length - 2, "shared " + sharedOfFirst);
    }

    @ParameterizedTest
    @EnumSource(Scheduler.class)
    void aRowsCompletionDoesNotDependOnItsBatchMatesOrOrder(Scheduler scheduler) {
        SamplingParams sampled = new SamplingParams(10, 0.8, 40, 0.95, 1234, List.of(), List.of(), true, 1);
        List<GenerationRequest> reqs = hierarchical(sampled);
        // continuous: at most 3 running, so rows are admitted mid-decode beside different mates in each order
        BatchOptions batching = hydragen.options().batchOptions().withScheduler(scheduler).withMaxBatchSequences(scheduler == Scheduler.STATIC ? 64 : 3);
        GenerationResult together = hydragen.generate(reqs, batching, ProgressListener.NONE);
        List<GenerationRequest> shuffled = new ArrayList<>(reqs);
        Collections.reverse(shuffled);
        GenerationResult reversed = hydragen.generate(shuffled, batching, ProgressListener.NONE);
        for (int i = 0; i < reqs.size(); i++) {
            GenerationResult alone = hydragen.generate(List.of(reqs.get(i)), batching, ProgressListener.NONE);
            assertArrayEquals(alone.completions().get(0).tokenIds(), together.completions().get(i).tokenIds(), "row " + i + " alone vs batch");
            assertArrayEquals(together.completions().get(i).tokenIds(), reversed.completions().get(reqs.size() - 1 - i).tokenIds(), "row " + i + " order");
        }
    }

    @Test
    void samplesOfOnePromptShareItAndDifferBySeedStream() {
        SamplingParams p = new SamplingParams(8, 1.0, 0, 1.0, 99, List.of(), List.of(), true, 4);
        GenerationResult r = hydragen.generate(List.of(GenerationRequest.ofText("x", INSTRUCTION + DOC_A, p)));
        assertEquals(4, r.completions().size());
        for (int i = 0; i < 4; i++) {
            assertEquals(i, r.completions().get(i).sampleIndex());
            assertEquals(r.completions().get(i).promptTokens(), r.completions().get(i).sharedPromptTokens(), "the whole prompt is shared");
        }
        long distinct = ids(r).stream().distinct().count();
        assertTrue(distinct > 1, "samples differ");
        assertEquals(r.completions().get(0).promptTokens(), r.stats().prefilledTokens(), "prompt prefilled once for 4 samples");
        assertEquals(ids(r), ids(hydragen.generate(List.of(GenerationRequest.ofText("x", INSTRUCTION + DOC_A, p))))); // same seed, same samples
    }

    @Test
    void stopTokenIdsAndStopStringsEndASample() {
        GenerationResult free = hydragen.generate(List.of(GenerationRequest.ofText("a", INSTRUCTION, greedy(12))));
        int[] toks = free.completions().get(0).tokenIds();
        SamplingParams stopAt = new SamplingParams(12, 0, 0, 1, 0, List.of(), List.of(toks[3]), true, 1);
        Completion c = hydragen.generate(List.of(GenerationRequest.ofText("a", INSTRUCTION, stopAt))).completions().get(0);
        assertEquals(FinishReason.STOP, c.finishReason());
        int first = 0;
        while (toks[first] != toks[3]) first++;
        assertEquals(first + 1, c.completionTokens(), "stops at the first occurrence, which is kept in the ids");

        String text = free.completions().get(0).text();
        String stop = text.substring(Math.min(3, text.length() - 1), Math.min(5, text.length()));
        SamplingParams stopStr = new SamplingParams(12, 0, 0, 1, 0, List.of(stop), List.of(), true, 1);
        Completion s = hydragen.generate(List.of(GenerationRequest.ofText("a", INSTRUCTION, stopStr))).completions().get(0);
        assertEquals(FinishReason.STOP, s.finishReason());
        assertFalse(s.text().contains(stop), "the stop string is cut from the text");
        assertTrue(text.startsWith(s.text()));

        assertEquals(FinishReason.LENGTH, free.completions().get(0).finishReason());
        assertEquals(12, free.completions().get(0).completionTokens());
    }

    @Test
    void badRequestsGetErrorsAndTheOthersAreAnswered() {
        int context = model.config().maxPositionEmbeddings();
        List<GenerationRequest> reqs = List.of(
                GenerationRequest.ofText("ok", "Hello", greedy(4)),
                GenerationRequest.ofText("empty", "", greedy(4)),
                GenerationRequest.ofText("null", null, greedy(4)),
                GenerationRequest.ofText("long", "x".repeat(context + 10), greedy(4)),
                GenerationRequest.ofTokens("badid", new int[] {1, 5, 999_999}, greedy(4)),
                GenerationRequest.ofText("ok2", "World", greedy(4)));
        List<Completion> out = hydragen.generate(reqs).completions();
        assertEquals(6, out.size());
        assertNull(out.get(0).error());
        assertEquals(4, out.get(0).completionTokens());
        for (int i = 1; i <= 4; i++) {
            assertEquals(FinishReason.ERROR, out.get(i).finishReason(), reqs.get(i).id());
            assertNotNull(out.get(i).error());
        }
        assertTrue(out.get(3).error().contains("context"), out.get(3).error());
        assertTrue(out.get(4).error().contains("999999"), out.get(4).error());
        assertNull(out.get(5).error());
    }

    @Test
    void aPrefixSeenInAnEarlierCallIsCopiedNotPrefilledAgain() {
        try (Engine cached = Engine.open(ModelLoader.load("synthetic:tiny"),
                EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(8).withPrefixCacheTokens(4096))) {
            List<GenerationRequest> first = List.of(GenerationRequest.ofText("a", INSTRUCTION + DOC_A + "Where?", greedy(6)));
            List<GenerationRequest> second = List.of(GenerationRequest.ofText("b", INSTRUCTION + DOC_A + "Who lives there?", greedy(6)));
            GenerationResult r1 = cached.generate(first);
            assertEquals(r1.stats().promptTokens(), r1.stats().prefilledTokens(), "nothing cached yet");
            GenerationResult r2 = cached.generate(second);
            int common = hydragen.tokenizer().encode(INSTRUCTION + DOC_A, true).length;
            assertTrue(r2.stats().prefilledTokens() <= r2.stats().promptTokens() - common + 2,
                    "prefilled " + r2.stats().prefilledTokens() + " of " + r2.stats().promptTokens());
            assertEquals(ids(flat.generate(second)), ids(r2), "same tokens as without the cache");
            GenerationResult again = cached.generate(second);
            assertEquals(1, again.stats().prefilledTokens(), "a repeated prompt runs only its last token");
            assertEquals(ids(r2), ids(again));
        }
    }

    @Test
    void zeroNewTokensReturnsAnEmptyCompletion() {
        Completion c = hydragen.generate(List.of(GenerationRequest.ofText("z", "Hello", greedy(0)))).completions().get(0);
        assertEquals(0, c.completionTokens());
        assertEquals(FinishReason.LENGTH, c.finishReason());
    }

    static BatchOptions continuous(Engine e, int maxBatch) {
        return e.options().batchOptions().withScheduler(Scheduler.CONTINUOUS).withMaxBatchSequences(maxBatch);
    }

    static GenerationResult continuousRun(Engine e, List<GenerationRequest> reqs, int maxBatch) {
        return e.generate(reqs, continuous(e, maxBatch), ProgressListener.NONE);
    }

    @Test
    void theScenariosGiveTheSameCompletionsUnderTheContinuousScheduler() {
        SamplingParams sampled = new SamplingParams(10, 0.8, 40, 0.95, 1234, List.of(), List.of(), true, 2);
        for (Engine e : List.of(hydragen, perSequence, perSequenceShared, flat)) {
            for (List<GenerationRequest> reqs : List.of(hierarchical(greedy(12)), hierarchical(sampled))) {
                List<List<Integer>> expected = ids(e.generate(reqs));
                for (int limit : new int[] {1, 2, 5}) assertEquals(expected, ids(continuousRun(e, reqs, limit)), e.options().attention() + " limit " + limit);
            }
        }
        // samples of one prompt: prefilled once, distinct streams, as static
        SamplingParams p = new SamplingParams(8, 1.0, 0, 1.0, 99, List.of(), List.of(), true, 4);
        List<GenerationRequest> x = List.of(GenerationRequest.ofText("x", INSTRUCTION + DOC_A, p));
        GenerationResult r = continuousRun(hydragen, x, 8);
        assertEquals(ids(hydragen.generate(x)), ids(r));
        assertEquals(r.completions().get(0).promptTokens(), r.stats().prefilledTokens(), "prompt prefilled once for 4 samples");
        // stop ids and strings
        int[] toks = hydragen.generate(List.of(GenerationRequest.ofText("a", INSTRUCTION, greedy(12)))).completions().get(0).tokenIds();
        List<GenerationRequest> stops = List.of(
                GenerationRequest.ofText("id", INSTRUCTION, new SamplingParams(12, 0, 0, 1, 0, List.of(), List.of(toks[3]), true, 1)),
                GenerationRequest.ofText("str", INSTRUCTION, new SamplingParams(12, 0, 0, 1, 0, List.of("e"), List.of(), true, 1)),
                GenerationRequest.ofText("len", INSTRUCTION + DOC_B, greedy(12)));
        List<Completion> st = hydragen.generate(stops).completions(), co = continuousRun(hydragen, stops, 2).completions();
        for (int i = 0; i < stops.size(); i++) {
            assertArrayEquals(st.get(i).tokenIds(), co.get(i).tokenIds(), stops.get(i).id());
            assertEquals(st.get(i).text(), co.get(i).text(), stops.get(i).id());
            assertEquals(st.get(i).finishReason(), co.get(i).finishReason(), stops.get(i).id());
        }
        // bad requests get their errors, the others are answered
        List<GenerationRequest> bad = List.of(GenerationRequest.ofText("ok", "Hello", greedy(4)), GenerationRequest.ofText("empty", "", greedy(4)),
                GenerationRequest.ofTokens("badid", new int[] {1, 5, 999_999}, greedy(4)), GenerationRequest.ofText("zero", "World", greedy(0)));
        List<Completion> b = continuousRun(hydragen, bad, 2).completions();
        assertEquals(4, b.size());
        assertNull(b.get(0).error());
        assertEquals(4, b.get(0).completionTokens());
        assertEquals(FinishReason.ERROR, b.get(1).finishReason());
        assertEquals(FinishReason.ERROR, b.get(2).finishReason());
        assertEquals(FinishReason.LENGTH, b.get(3).finishReason());
        assertEquals(0, b.get(3).completionTokens());
    }

    @Test
    void underTheContinuousSchedulerAPrefixSeenEarlierIsCopiedNotPrefilledAgain() {
        try (Engine cached = Engine.open(ModelLoader.load("synthetic:tiny"),
                EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(8).withPrefixCacheTokens(4096))) {
            List<GenerationRequest> first = List.of(GenerationRequest.ofText("a", INSTRUCTION + DOC_A + "Where?", greedy(6)));
            List<GenerationRequest> second = List.of(GenerationRequest.ofText("b", INSTRUCTION + DOC_A + "Who lives there?", greedy(6)));
            GenerationResult r1 = continuousRun(cached, first, 4);
            assertEquals(r1.stats().promptTokens(), r1.stats().prefilledTokens(), "nothing cached yet");
            GenerationResult r2 = continuousRun(cached, second, 4);
            int common = hydragen.tokenizer().encode(INSTRUCTION + DOC_A, true).length;
            assertTrue(r2.stats().prefilledTokens() <= r2.stats().promptTokens() - common + 2,
                    "prefilled " + r2.stats().prefilledTokens() + " of " + r2.stats().promptTokens());
            assertEquals(ids(flat.generate(second)), ids(r2), "same tokens as without the cache");
        }
    }
}
