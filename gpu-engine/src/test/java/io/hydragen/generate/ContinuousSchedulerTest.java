package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.SharedModels;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The continuous scheduler on synthetic:tiny: the same completions as the static path and as each row alone, rows
 * joining live shared segments mid-decode, KV freed as rows finish, streams longer than the batch, memory pressure.
 */
class ContinuousSchedulerTest {
    static Model model;
    static final List<CountingBackend> backends = new ArrayList<>();

    static final String INSTRUCTION = "You are a careful assistant who reads the document below and answers in one short word. ";
    static final String[] DOCS = {
            "Document A: the river runs north through the old town, past the mill and the church. ",
            "Document B: the bridge was built of grey stone in the year of the great flood and the fire. ",
            "Document C: the market opens at dawn on Mondays, and the bakers come down from the hills. "};
    static final String[] QUESTIONS = {"Where?", "When was it?", "Who lives there?", "Why?", "How?"};

    @BeforeAll
    static void load() { model = ModelLoader.load("synthetic:tiny"); }

    @AfterAll
    static void close() {
        for (CountingBackend b : backends) b.close();
        model.close();
    }

    static EngineOptions options() {
        return EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(8);
    }

    static Engine engine(CountingBackend[] out, EngineOptions o) {
        CountingBackend b = new CountingBackend(new CpuBackend(model, o.threads()));
        if (out != null) out[0] = b;
        backends.add(b);
        return Engine.open(model, b, o);
    }

    static SamplingParams greedy(int maxNew) { return new SamplingParams(maxNew, 0, 0, 1, 0, List.of(), List.of(), true, 1); }

    static BatchOptions continuous(EngineOptions o, int maxBatch) {
        return o.batchOptions().withScheduler(Scheduler.CONTINUOUS).withMaxBatchSequences(maxBatch);
    }

    /** Rows under 3 documents under one instruction, with very different lengths, and two sampled requests. */
    static List<GenerationRequest> requests() {
        List<GenerationRequest> reqs = new ArrayList<>();
        int i = 0;
        for (String d : DOCS) for (String q : QUESTIONS) reqs.add(GenerationRequest.ofText("g" + reqs.size(), INSTRUCTION + d + q, greedy(1 + (i++ * 7) % 19)));
        reqs.add(GenerationRequest.ofText("sampled", "Write a line about the sea and the wind over it:",
                new SamplingParams(10, 0.9, 40, 0.95, 42, List.of(), List.of(), true, 3)));
        reqs.add(GenerationRequest.ofText("stopped", INSTRUCTION + DOCS[0] + "What?",
                new SamplingParams(16, 0.7, 0, 1, 7, List.of("e"), List.of(), false, 2)));
        return reqs;
    }

    static Map<String, List<Completion>> byId(List<Completion> cs) {
        Map<String, List<Completion>> m = new LinkedHashMap<>();
        for (Completion c : cs) m.computeIfAbsent(c.requestId(), k -> new ArrayList<>()).add(c);
        for (List<Completion> l : m.values()) l.sort(java.util.Comparator.comparingInt(Completion::sampleIndex));
        return m;
    }

    static void assertSame(List<Completion> expected, List<Completion> actual) {
        Map<String, List<Completion>> e = byId(expected), a = byId(actual);
        assertEquals(e.keySet(), a.keySet());
        for (String id : e.keySet()) {
            List<Completion> x = e.get(id), y = a.get(id);
            assertEquals(x.size(), y.size(), "samples of " + id);
            for (int i = 0; i < x.size(); i++) {
                assertNull(y.get(i).error(), id + ": " + y.get(i).error());
                assertArrayEquals(x.get(i).tokenIds(), y.get(i).tokenIds(), id + " sample " + i);
                assertEquals(x.get(i).text(), y.get(i).text(), id + " sample " + i);
                assertEquals(x.get(i).finishReason(), y.get(i).finishReason(), id + " sample " + i);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HYDRAGEN", "PER_SEQUENCE", "PER_SEQUENCE_SHARED_KV"})
    void continuousGivesTheSameCompletionsAsStaticAtAnyBatchLimit(String modeName) {
        AttentionMode mode = AttentionMode.valueOf(modeName);
        CountingBackend[] b = new CountingBackend[1];
        EngineOptions o = options().withAttention(mode);
        Engine e = engine(b, o);
        List<GenerationRequest> reqs = requests();
        GenerationResult expected = e.generate(reqs);
        for (int limit : new int[] {1, 3, 64}) {
            // limit 3: prompts prefilled 7 tokens per step, in chunks between decode steps
            BatchOptions batching = limit == 3 ? continuous(o, limit).withPrefillTokensPerStep(7) : continuous(o, limit);
            GenerationResult r = e.generate(reqs, batching, ProgressListener.NONE);
            assertSame(expected.completions(), r.completions());
            assertEquals(expected.completions().size(), r.completions().size());
            for (int i = 0; i < r.completions().size(); i++) {
                assertEquals(expected.completions().get(i).requestId(), r.completions().get(i).requestId(), "request order kept");
            }
            assertEquals(0, b[0].liveTokens, "all KV freed");
        }
    }

    @Test
    void rowsAdmittedMidDecodeIntoALiveSharedSegmentGiveTheSameTokensAsAlone() {
        CountingBackend[] b = new CountingBackend[1];
        EngineOptions o = options();
        Engine e = engine(b, o);
        String prefix = INSTRUCTION + DOCS[1];
        List<GenerationRequest> reqs = new ArrayList<>();
        reqs.add(GenerationRequest.ofText("long", prefix + "Tell me everything.", greedy(30)));
        for (int i = 0; i < QUESTIONS.length; i++) reqs.add(GenerationRequest.ofText("q" + i, prefix + QUESTIONS[i], greedy(3 + i)));
        Map<String, GenerationRequest> req = new HashMap<>();
        for (GenerationRequest q : reqs) req.put(q.id(), q);
        List<Completion> streamed = new ArrayList<>();
        // two running rows at most: "long" and "q0" form a shared segment; q1..q4 join it while "long" decodes
        BatchStats stats = e.stream(reqs.iterator(), continuous(o, 2), streamed::add);
        int prefixLen = e.tokenizer().encode(prefix, true).length;
        long promptTokens = 0;
        for (Completion c : streamed) {
            promptTokens += c.promptTokens();
            Completion alone = e.generate(List.of(req.get(c.requestId()))).completions().get(0);
            assertEquals(0, alone.sharedPromptTokens());
            assertArrayEquals(alone.tokenIds(), c.tokenIds(), c.requestId() + " alone vs admitted mid-decode");
            assertTrue(c.sharedPromptTokens() >= prefixLen - 8, c.requestId() + " read the live shared segment: " + c.sharedPromptTokens());
        }
        assertEquals(reqs.size(), streamed.size());
        assertEquals("long", streamed.get(streamed.size() - 1).requestId(), "the long row finishes last, the short ones leave first");
        long shared = streamed.get(0).sharedPromptTokens();
        assertEquals(promptTokens - (reqs.size() - 1) * shared, stats.prefilledTokens(), "the shared segment was prefilled once");
        // the admitted rows' suffixes ride the decode passes (chunked prefill): only the first two passes, the shared
        // segment and then the first two leaves, run with nothing decoding
        assertEquals(stats.decodeSteps() + 2, forwardsOfStream(b[0], () -> e.stream(reqs.iterator(), continuous(o, 2), c -> {})));
        assertEquals(0, b[0].liveTokens);
    }

    /** Forward passes one stream runs, checked against its decode steps by the caller. */
    private static int forwardsOfStream(CountingBackend b, java.util.function.Supplier<BatchStats> run) {
        int before = b.forwards;
        BatchStats s = run.get();
        assertTrue(s.decodeSteps() > 0);
        return b.forwards - before;
    }

    @Test
    void aSharedSegmentIsFreedWhenItsLastRowFinishes() {
        CountingBackend[] b = new CountingBackend[1];
        EngineOptions o = options();
        Engine e = engine(b, o);
        List<GenerationRequest> reqs = new ArrayList<>();
        for (String q : QUESTIONS) reqs.add(GenerationRequest.ofText("a-" + q, INSTRUCTION + DOCS[0] + q, greedy(2)));
        for (String q : QUESTIONS) reqs.add(GenerationRequest.ofText("b-" + q, "Another task entirely, with its own long preamble here. " + DOCS[2] + q, greedy(20)));
        List<Completion> done = new ArrayList<>();
        List<Long> live = new ArrayList<>();
        e.stream(reqs.iterator(), continuous(o, 16), c -> { done.add(c); live.add(b[0].liveTokens); });
        int lastA = -1;
        for (int i = 0; i < done.size(); i++) if (done.get(i).requestId().startsWith("a-")) lastA = i;
        assertTrue(lastA > 0 && lastA < QUESTIONS.length, "the short group finishes first");
        int sharedA = done.get(lastA).sharedPromptTokens();
        assertTrue(sharedA > 0);
        assertTrue(live.get(lastA - 1) - live.get(lastA) > sharedA,
                "the last row of group a frees its leaf and the shared segment: " + live.get(lastA - 1) + " -> " + live.get(lastA));
        assertEquals(0L, live.get(live.size() - 1), "memory returns to baseline when the last row finishes");
        assertEquals(0, b[0].liveTokens);
    }

    @Test
    void aStreamLongerThanTheBatchLimitIsAnsweredCompletelyExactlyOnce() {
        EngineOptions o = options();
        Engine e = engine(null, o);
        List<GenerationRequest> reqs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String prompt = INSTRUCTION + DOCS[i % 3] + QUESTIONS[i % QUESTIONS.length] + " #" + i;
            reqs.add(GenerationRequest.ofText("r" + i, prompt, greedy(1 + (i * 5) % 13)));
        }
        reqs.add(GenerationRequest.ofText("empty", "", greedy(4)));
        reqs.add(GenerationRequest.ofText("zero", "Hello", greedy(0)));
        Iterator<GenerationRequest> src = reqs.iterator();
        int[] pulled = {0};
        Iterator<GenerationRequest> counting = new Iterator<>() {
            public boolean hasNext() { return src.hasNext(); }
            public GenerationRequest next() { pulled[0]++; return src.next(); }
        };
        Map<String, Integer> seen = new HashMap<>();
        List<Completion> out = new ArrayList<>();
        int[] maxPulledAhead = {0};
        e.stream(counting, continuous(o, 4), c -> {
            seen.merge(c.requestId(), 1, Integer::sum);
            out.add(c);
            maxPulledAhead[0] = Math.max(maxPulledAhead[0], pulled[0] - out.size());
        });
        assertEquals(reqs.size(), seen.size());
        for (Map.Entry<String, Integer> en : seen.entrySet()) assertEquals(1, en.getValue(), en.getKey());
        assertTrue(maxPulledAhead[0] <= 4 * (1 + ContinuousScheduler.LOOKAHEAD_FACTOR) + 2, "the stream is read as room frees up: " + maxPulledAhead[0]);
        assertSame(filter(e.generate(reqs).completions()), filter(out));
        assertNotNull(byId(out).get("empty").get(0).error());
    }

    @Test
    void aSessionAdvancedRoundByRoundHandsOutRowsBeforeItsInputIsReadAndMatchesTheStream() {
        CountingBackend[] b = new CountingBackend[1];
        EngineOptions o = options();
        Engine e = engine(b, o);
        List<GenerationRequest> reqs = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            reqs.add(GenerationRequest.ofText("r" + i, INSTRUCTION + DOCS[i % 3] + QUESTIONS[i % QUESTIONS.length] + " #" + i, greedy(1 + (i * 5) % 13)));
        }
        Iterator<GenerationRequest> src = reqs.iterator();
        int[] pulled = {0};
        Iterator<GenerationRequest> counting = new Iterator<>() {
            public boolean hasNext() { return src.hasNext(); }
            public GenerationRequest next() { pulled[0]++; return src.next(); }
        };
        List<Completion> out = new ArrayList<>();
        int pulledAtFirst = -1;
        try (StreamSession session = e.openStream(counting, continuous(o, 4), out::add)) {
            while (session.advance()) if (pulledAtFirst < 0 && !out.isEmpty()) pulledAtFirst = pulled[0];
            assertEquals(40, session.stats().sequences());
        }
        assertTrue(pulledAtFirst > 0 && pulledAtFirst <= 4 * (1 + ContinuousScheduler.LOOKAHEAD_FACTOR),
                "the first row left after " + pulledAtFirst + " of 40 were read");
        assertSame(e.generate(reqs).completions(), out);
        assertEquals(0, b[0].liveTokens);

        // closed after a few rounds (the caller stopped pulling): nothing more is handed out, all KV is freed
        List<Completion> partial = new ArrayList<>();
        try (StreamSession session = e.openStream(reqs.iterator(), continuous(o, 4), partial::add)) {
            for (int r = 0; r < 3; r++) session.advance();
            assertTrue(b[0].liveTokens > 0, "rows are running");
        }
        assertEquals(0, b[0].liveTokens, "closing frees the running rows' KV");
        assertTrue(partial.size() < reqs.size());
    }

    private static List<Completion> filter(List<Completion> cs) { return cs.stream().filter(c -> !c.requestId().equals("empty")).toList(); }

    @Test
    void underMemoryPressureAdmissionWaitsInsteadOfFailing() {
        EngineOptions o = options();
        CountingBackend[] ref = new CountingBackend[1], lim = new CountingBackend[1], oom = new CountingBackend[1];
        List<GenerationRequest> reqs = requests();
        GenerationResult expected = engine(ref, o).generate(reqs, continuous(o, 64), ProgressListener.NONE);
        long peak = ref[0].peakTokens;
        long alone = 0;
        for (GenerationRequest q : reqs) alone = Math.max(alone, model.tokenizer().encode(q.prompt(), true).length + q.params().maxNewTokens());
        long budgetTokens = Math.max(alone, peak / 4);
        assertTrue(budgetTokens * 2 < peak, "the whole list (" + peak + " slots) is over twice the budget (" + budgetTokens + ")");
        Engine limited = engine(lim, o.withKvBudgetBytes(budgetTokens * 512));
        assertEquals(512, lim[0].kvBytesPerToken());
        GenerationResult r = limited.generate(reqs, continuous(o, 64), ProgressListener.NONE);
        assertSame(expected.completions(), r.completions());
        assertTrue(lim[0].peakTokens <= budgetTokens, "peak " + lim[0].peakTokens + " within the budget " + budgetTokens);
        assertEquals(0, lim[0].liveTokens);

        // no budget, but the "device" runs out: admission backs off and waits for rows to finish
        Engine tight = engine(oom, o);
        oom[0].limitTokens = budgetTokens;
        GenerationResult t = tight.generate(reqs, continuous(o, 64), ProgressListener.NONE);
        assertSame(expected.completions(), t.completions());
        assertTrue(oom[0].failures > 0, "allocations did fail");
        assertEquals(0, oom[0].liveTokens);

        // a row that cannot fit even alone gets an error; the others are answered
        List<GenerationRequest> withHuge = new ArrayList<>(reqs);
        withHuge.add(GenerationRequest.ofText("huge", "y".repeat((int) budgetTokens), greedy(4)));
        List<Completion> got = limited.generate(withHuge, continuous(o, 64), ProgressListener.NONE).completions();
        Completion huge = byId(got).get("huge").get(0);
        assertEquals(FinishReason.ERROR, huge.finishReason());
        assertTrue(huge.error().contains("KV budget"), huge.error());
        assertSame(expected.completions(), got.stream().filter(c -> !c.requestId().equals("huge")).toList());
    }

    @Test
    void cancellingMidStreamFreesAllKvAndTheEngineServesTheNextCall() {
        CountingBackend[] b = new CountingBackend[1];
        EngineOptions o = options();
        Engine e = engine(b, o);
        List<GenerationRequest> reqs = requests();
        ProgressListener interruptAfterFirst = (phase, done, total) -> { if (done == 1) Thread.currentThread().interrupt(); };
        try {
            org.junit.jupiter.api.Assertions.assertThrows(GenerationCancelledException.class, () -> e.generate(reqs, continuous(o, 4), interruptAfterFirst));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt status stays set");
        } finally {
            Thread.interrupted();
        }
        assertEquals(0, b[0].liveTokens, "the cancelled stream's KV is freed");
        assertSame(e.generate(reqs).completions(), e.generate(reqs, continuous(o, 4), ProgressListener.NONE).completions());
    }

    /** Reference checkpoints: greedy ids match transformers when rows are admitted into a running batch. */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-bpe", "tiny-llama-sp"})
    void referenceGreedyIdsUnderContinuousBatching(String name) throws IOException {
        Path dir = SharedModels.require(name);
        JsonNode exp = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        // fp32: the reference's margins are fp32's (auto would take bf16 for the bf16 checkpoint on an AVX512_BF16 CPU)
        EngineOptions o = EngineOptions.of(dir.toString()).withBackend("cpu").withCpuDtype("fp32").withMinSharedTokens(4);
        try (Engine engine = Engine.open(ModelLoader.load(dir.toString()), o)) {
            for (Iterator<Map.Entry<String, JsonNode>> it = exp.get("prompt_sets").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> set = it.next();
                List<GenerationRequest> reqs = new ArrayList<>();
                List<JsonNode> ps = new ArrayList<>();
                for (JsonNode p : set.getValue()) {
                    // different lengths, so rows leave at different steps and waiting ones are admitted mid-decode
                    reqs.add(GenerationRequest.ofText(Integer.toString(reqs.size()), p.get("text").asText(), greedy(8 + 16 * (reqs.size() % 2))));
                    ps.add(p);
                }
                List<Completion> out = engine.generate(reqs, continuous(o, 2), ProgressListener.NONE).completions();
                for (int i = 0; i < ps.size(); i++) {
                    JsonNode want = ps.get(i).get("greedy_ids"), margin = ps.get(i).get("greedy_top2_margin");
                    int[] got = out.get(i).tokenIds();
                    int checked = 0;
                    for (int t = 0; t < Math.min(want.size(), got.length) && margin.get(t).asDouble() > 1e-3; t++, checked++) {
                        assertEquals(want.get(t).asInt(), got[t], name + " " + set.getKey() + "[" + i + "] token " + t);
                    }
                    assertTrue(checked > 0);
                }
            }
        }
    }
}
