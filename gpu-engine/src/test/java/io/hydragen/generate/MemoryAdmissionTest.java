package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Memory admission on synthetic:tiny: generation capped at the context, KV budgets splitting a request list into
 * sub-batches with the same completions, rows that cannot fit, and allocation failures that leave the engine usable.
 */
class MemoryAdmissionTest {
    static Model model;
    static int context;
    static long perToken;
    static final List<CountingBackend> backends = new ArrayList<>();

    static final String INSTRUCTION = "You are a careful assistant who reads the document below and answers in one short word. ";
    static final String[] DOCS = {
            "Document A: the river runs north through the old town, past the mill and the church. ",
            "Document B: the bridge was built of grey stone in the year of the great flood and the fire. ",
            "Document C: the market opens at dawn on Mondays, and the bakers come down from the hills. "};
    static final String[] QUESTIONS = {"Where?", "When was it?", "Who lives there?", "Why?"};

    @BeforeAll
    static void load() {
        model = ModelLoader.load("synthetic:tiny");
        context = model.config().maxPositionEmbeddings();
    }

    @AfterAll
    static void close() {
        for (CountingBackend b : backends) b.close();  // their threads and weights; the engines would close the shared model
        model.close();
    }

    static EngineOptions options() {
        return EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(8);
    }

    /** An engine whose KV allocations are counted (and can be made to fail); closing it would close the shared model. */
    static Engine engine(CountingBackend[] out, EngineOptions o) {
        CountingBackend b = new CountingBackend(new CpuBackend(model, o.threads()));
        out[0] = b;
        backends.add(b);
        perToken = b.kvBytesPerToken();
        return Engine.open(model, b, o);
    }

    static SamplingParams greedy(int maxNew) { return new SamplingParams(maxNew, 0, 0, 1, 0, List.of(), List.of(), true, 1); }

    /** 12 greedy rows under 3 documents under one instruction, and a seeded sampling request with 3 samples. */
    static List<GenerationRequest> requests() {
        List<GenerationRequest> reqs = new ArrayList<>();
        for (String d : DOCS) for (String q : QUESTIONS) reqs.add(GenerationRequest.ofText("g" + reqs.size(), INSTRUCTION + d + q, greedy(12)));
        reqs.add(GenerationRequest.ofText("sampled", "Write a line about the sea and the wind over it:",
                new SamplingParams(10, 0.9, 40, 0.95, 42, List.of(), List.of(), true, 3)));
        return reqs;
    }

    static Map<String, List<Completion>> byId(GenerationResult r) {
        Map<String, List<Completion>> m = new HashMap<>();
        for (Completion c : r.completions()) m.computeIfAbsent(c.requestId(), k -> new ArrayList<>()).add(c);
        return m;
    }

    static void assertSameCompletions(GenerationResult expected, GenerationResult actual, String skipId) {
        Map<String, List<Completion>> e = byId(expected), a = byId(actual);
        for (Map.Entry<String, List<Completion>> en : e.entrySet()) {
            if (en.getKey().equals(skipId)) continue;
            List<Completion> x = en.getValue(), y = a.get(en.getKey());
            assertEquals(x.size(), y.size(), "samples of " + en.getKey());
            for (int i = 0; i < x.size(); i++) {
                assertNull(y.get(i).error(), en.getKey() + ": " + y.get(i).error());
                assertEquals(i, y.get(i).sampleIndex());
                assertArrayEquals(x.get(i).tokenIds(), y.get(i).tokenIds(), en.getKey() + " sample " + i);
                assertEquals(x.get(i).finishReason(), y.get(i).finishReason());
            }
        }
    }

    @Test
    void maxNewTokensBeyondTheContextStopsAtTheContextWithFinishReasonLength() {
        CountingBackend[] b = new CountingBackend[1];
        // a budget of exactly one full context: admitted only because the reservation is capped at the context
        Engine e = engine(b, options().withKvBudgetBytes((long) context * 512));
        assertEquals(512, perToken, "tiny: 2 layers × 2 KV heads × 16 × 2 × 4 bytes");
        String prompt = "x".repeat(context - 100);
        for (int maxNew : new int[] {Integer.MAX_VALUE, 100_000_000}) {
            GenerationResult r = e.generate(List.of(GenerationRequest.ofText("long", prompt, greedy(maxNew))));
            Completion c = r.completions().get(0);
            assertNull(c.error(), c.error());
            assertEquals(FinishReason.LENGTH, c.finishReason());
            assertEquals(context, c.promptTokenIds().length + c.tokenIds().length, "the completion ends at the model's context");
            assertTrue(b[0].peakTokens <= context, "KV reserved only for what can be generated: " + b[0].peakTokens);
            assertEquals(0, b[0].liveTokens);
        }
    }

    @Test
    void aBudgetSplitsTheBatchIntoSubBatchesThatFitWithTheSameCompletions() {
        List<GenerationRequest> reqs = requests();
        for (AttentionMode mode : new AttentionMode[] {AttentionMode.HYDRAGEN, AttentionMode.PER_SEQUENCE, AttentionMode.PER_SEQUENCE_SHARED_KV}) {
            CountingBackend[] ref = new CountingBackend[1], lim = new CountingBackend[1];
            GenerationResult expected = engine(ref, options().withAttention(mode)).generate(reqs);
            long peak = ref[0].peakTokens;
            long alone = 0;
            for (GenerationRequest q : reqs) alone = Math.max(alone, model.tokenizer().encode(q.prompt(), true).length + q.params().maxNewTokens());
            if (mode == AttentionMode.PER_SEQUENCE) alone *= 2;
            long budgetTokens = Math.max(alone, peak / 3);
            assertTrue(budgetTokens * 2 < peak, mode + ": the whole list (" + peak + " slots) is over twice the budget (" + budgetTokens + ")");
            Engine limited = engine(lim, options().withAttention(mode).withKvBudgetBytes(budgetTokens * perToken));
            GenerationResult actual = limited.generate(reqs);
            assertEquals(expected.completions().size(), actual.completions().size());
            assertSameCompletions(expected, actual, null);
            assertTrue(lim[0].peakTokens <= budgetTokens, mode + ": peak " + lim[0].peakTokens + " slots over the budget of " + budgetTokens);
            assertEquals(0, lim[0].failures);
            assertEquals(0, lim[0].liveTokens, "every KV segment is freed");
        }
    }

    @Test
    void aRowThatCannotFitAloneGetsAnErrorAndTheOthersAreAnsweredOnce() {
        List<GenerationRequest> reqs = new ArrayList<>(requests());
        reqs.add(3, GenerationRequest.ofText("huge", INSTRUCTION + DOCS[0] + "Tell the whole story.", greedy(2000)));
        CountingBackend[] ref = new CountingBackend[1], lim = new CountingBackend[1];
        GenerationResult expected = engine(ref, options()).generate(requests());
        long budgetTokens = 400;
        GenerationResult actual = engine(lim, options().withKvBudgetBytes(budgetTokens * perToken)).generate(reqs);
        assertEquals(expected.completions().size() + 1, actual.completions().size(), "one completion per sample, the error row included");
        assertSameCompletions(expected, actual, null);
        List<Completion> huge = byId(actual).get("huge");
        assertEquals(1, huge.size());
        assertEquals(FinishReason.ERROR, huge.get(0).finishReason());
        int promptTokens = model.tokenizer().encode(INSTRUCTION + DOCS[0] + "Tell the whole story.", true).length;
        assertEquals("needs " + io.hydragen.backend.AllocationException.formatBytes((promptTokens + 2000L) * perToken) + " of KV cache for "
                + promptTokens + " prompt + 2000 new tokens; the KV budget is 200.0 KiB", huge.get(0).error());
        assertEquals(0, huge.get(0).tokenIds().length);
        assertEquals("huge", actual.completions().get(3 * 1 + 0).requestId(), "results stay in request order");
    }

    @Test
    void allocationFailuresBecomeSmallerBatchesOrErrorRowsAndTheEngineStaysUsable() {
        List<GenerationRequest> reqs = requests();
        CountingBackend[] ref = new CountingBackend[1], b = new CountingBackend[1];
        GenerationResult expected = engine(ref, options()).generate(reqs);
        Engine e = engine(b, options());  // no budget: the "device" runs out instead
        b[0].limitTokens = ref[0].peakTokens / 3;
        GenerationResult split = e.generate(reqs);
        assertTrue(b[0].failures > 0, "the full batch did not fit");
        assertSameCompletions(expected, split, null);
        assertEquals(0, b[0].liveTokens);

        b[0].failAll = true;
        GenerationResult failed = e.generate(reqs);   // no Error escapes
        assertEquals(expected.completions().size(), failed.completions().size());
        for (Completion c : failed.completions()) {
            assertEquals(FinishReason.ERROR, c.finishReason());
            assertTrue(c.error().startsWith("out of memory allocating ") && c.error().contains("of KV cache"), c.error());
        }
        assertEquals(0, b[0].liveTokens, "nothing stays allocated after a failure");

        b[0].failAll = false;
        b[0].limitTokens = Long.MAX_VALUE;
        assertSameCompletions(expected, e.generate(reqs), null);
    }

    @Test
    void anAutomaticBudgetComesFromTheMemoryAvailable() {
        CountingBackend[] b = new CountingBackend[1], ref = new CountingBackend[1];
        Engine auto = engine(b, options().withKvBudgetBytes(EngineOptions.AUTO_KV_BUDGET));
        long budget = auto.kvBudgetBytes();
        long avail = b[0].availableMemoryBytes();
        if (avail == Long.MAX_VALUE) assertEquals(0, budget);
        else assertEquals((long) (avail * EngineOptions.AUTO_KV_FRACTION), budget, (double) avail / 100);
        assertSameCompletions(engine(ref, options()).generate(requests()), auto.generate(requests()), null);
        assertEquals(0, engine(b, options()).kvBudgetBytes(), "0 = no budget");
    }
}
