package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.hydragen.constrain.Constraint;
import io.hydragen.constrain.TokenIndex;
import io.hydragen.model.JsonFiles;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.SharedModels;
import io.hydragen.tokenizer.TokenBytes;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Structured output through the engine (issue #11): synthetic random-weight models and the reference checkpoints,
 * sampled at temperature 1 with seeds and n = 3, on both schedulers. Every {@code stop} completion validates against
 * its JSON schema (networknt), matches its regex or is one of its choices; every {@code length} completion is a valid
 * prefix; outputs depend only on the row (seed), not on the batch or the scheduler.
 */
class ConstrainedGenerationTest {
    static Model model;
    static Engine engine;

    static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":6},"
            + "\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":120},\"ok\":{\"type\":\"boolean\"},"
            + "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]},\"maxItems\":2}},"
            + "\"required\":[\"name\",\"age\",\"ok\"],\"additionalProperties\":false}";
    static final String PHONE = "\\d{3}-\\d{4}";
    static final List<String> CHOICES = List.of("yes", "no", "maybe, later");
    static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    @BeforeAll
    static void open() {
        model = ModelLoader.load("synthetic:tiny");
        engine = Engine.open(model, EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(4));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static SamplingParams sampled(int maxNew, long seed, int n, Constraint c) {
        return new SamplingParams(maxNew, 1.0, 0, 1.0, seed, List.of(), List.of(), false, n, c);
    }

    static JsonNode schema() { return JsonFiles.MAPPER.valueToTree(parse(SCHEMA)); }

    static JsonNode parse(String json) {
        try {
            return JsonFiles.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Prompts sharing a prefix (Hydragen batching), each with its own constraint and seed. */
    static List<GenerationRequest> mixed(int maxNew) {
        String shared = "You answer in the requested format only. Here is the record of the customer: ";
        List<GenerationRequest> reqs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            reqs.add(GenerationRequest.ofText("json" + i, shared + "json " + i, sampled(maxNew, 11 + i, 3, Constraint.jsonSchema(schema()))));
            reqs.add(GenerationRequest.ofText("re" + i, shared + "phone " + i, sampled(maxNew, 21 + i, 3, Constraint.regex(PHONE))));
            reqs.add(GenerationRequest.ofText("ch" + i, shared + "choice " + i, sampled(maxNew, 31 + i, 3, Constraint.choice(CHOICES))));
            reqs.add(GenerationRequest.ofText("obj" + i, shared + "object " + i, sampled(maxNew, 41 + i, 3, Constraint.jsonObject())));
            reqs.add(GenerationRequest.ofText("free" + i, shared + "free " + i, sampled(Math.min(maxNew, 8), 51 + i, 2, null)));
        }
        return reqs;
    }

    /** Checks every completion against its request's constraint; returns how many ended with stop. */
    static int check(Engine e, List<GenerationRequest> reqs, GenerationResult r) {
        int stops = 0, k = 0;
        for (GenerationRequest req : reqs) {
            for (int i = 0; i < req.params().n(); i++) {
                Completion c = r.completions().get(k++);
                assertEquals(req.id(), c.requestId());
                assertTrue(c.finishReason() != FinishReason.ERROR, req.id() + ": " + c.error());
                Constraint con = req.params().constraint();
                if (con == null) continue;
                if (c.finishReason() == FinishReason.STOP) stops++;
                checkOne(e, con, req.params(), c);
            }
        }
        return stops;
    }

    static void checkOne(Engine e, Constraint con, SamplingParams p, Completion c) {
        TokenIndex idx = ConstraintState.compile(e.tokenizer(), e.model().config().vocabSize(), con);
        int[] ids = c.tokenIds();
        int[] eos = e.tokenizer().eosTokenIds();
        int n = ids.length;
        if (n > 0 && java.util.Arrays.stream(eos).anyMatch(x -> x == ids[n - 1])) {
            assertEquals(FinishReason.STOP, c.finishReason(), "EOS ends with stop");
        }
        int state = idx.initialState();
        for (int t : ids) {
            if (java.util.Arrays.stream(eos).anyMatch(x -> x == t)) break;
            state = idx.next(state, t);
            assertTrue(state >= 0, c.requestId() + ": token " + t + " leaves the constraint: " + show(c.text()));
        }
        assertTrue(ids.length <= p.maxNewTokens());
        assertEquals(TokenBytes.text(e.tokenizer(), ids), c.text(), "text is the exact bytes of the tokens");
        if (c.finishReason() == FinishReason.LENGTH) {
            assertEquals(p.maxNewTokens(), ids.length, "length only at max_new_tokens");
            return;
        }
        assertTrue(idx.accepting(state), c.requestId() + ": stop on an incomplete text " + show(c.text()));
        String text = c.text();
        if (con instanceof Constraint.JsonSchema js) {
            var errors = SCHEMAS.getSchema(js.schema()).validate(parse(text));
            assertTrue(errors.isEmpty(), show(text) + " does not validate: " + errors);
        } else if (con instanceof Constraint.JsonObject) {
            assertTrue(parse(text).isObject(), show(text));
        } else if (con instanceof Constraint.Regex re) {
            assertTrue(Pattern.compile(re.pattern()).matcher(text).matches(), show(text));
        } else if (con instanceof Constraint.Choice ch) {
            assertTrue(ch.choices().contains(text), show(text));
        } else {
            fail("unknown constraint " + con);
        }
    }

    static String show(String s) { return "«" + s + "»"; }

    @ParameterizedTest
    @EnumSource(Scheduler.class)
    void sampledCompletionsSatisfyTheirConstraintsOnBothSchedulers(Scheduler scheduler) {
        List<GenerationRequest> reqs = mixed(48);
        GenerationResult r = engine.generate(reqs, engine.options().batchOptions().withScheduler(scheduler), ProgressListener.NONE);
        int stops = check(engine, reqs, r);
        assertTrue(stops >= 24, "regex and choice rows always finish: " + stops);
        long jsonStops = r.completions().stream().filter(c -> c.requestId().startsWith("json") && c.finishReason() == FinishReason.STOP).count();
        assertTrue(jsonStops >= 4, "most JSON rows finish within 48 tokens (validated above): " + jsonStops);
        // regex and choices are short: they always finish with stop
        for (Completion c : r.completions()) {
            if (c.requestId().startsWith("re") || c.requestId().startsWith("ch")) assertEquals(FinishReason.STOP, c.finishReason(), c.requestId());
        }
    }

    @Test
    void theSameRowGivesTheSameOutputAloneInABatchAndOnEitherScheduler() {
        List<GenerationRequest> reqs = mixed(40);
        GenerationResult batch = engine.generate(reqs);
        GenerationResult cont = engine.generate(reqs, engine.options().batchOptions().withScheduler(Scheduler.CONTINUOUS), ProgressListener.NONE);
        GenerationResult again = engine.generate(reqs);
        for (int i = 0; i < batch.completions().size(); i++) {
            assertArrayEquals(batch.completions().get(i).tokenIds(), cont.completions().get(i).tokenIds());
            assertArrayEquals(batch.completions().get(i).tokenIds(), again.completions().get(i).tokenIds());
        }
        int k = 0;
        for (GenerationRequest req : reqs) {
            GenerationResult alone = engine.generate(List.of(req));
            for (Completion c : alone.completions()) {
                Completion inBatch = batch.completions().get(k++);
                assertArrayEquals(inBatch.tokenIds(), c.tokenIds(), req.id());
                assertEquals(inBatch.text(), c.text());
                assertEquals(inBatch.finishReason(), c.finishReason());
            }
        }
    }

    @Test
    void samplesOfOneRowDifferAndSeedsChangeThem() {
        GenerationRequest req = GenerationRequest.ofText("a", "Pick one:", sampled(16, 7, 3, Constraint.choice(List.of("red", "green", "blue", "cyan"))));
        List<String> texts = new ArrayList<>();
        for (long seed = 1; seed <= 6; seed++) {
            for (Completion c : engine.generate(List.of(new GenerationRequest("a", "Pick one:", null, req.params().withSeed(seed)))).completions()) {
                assertEquals(FinishReason.STOP, c.finishReason());
                texts.add(c.text());
            }
        }
        assertTrue(texts.stream().distinct().count() > 1, "sampling explores the choices: " + texts);
    }

    @Test
    void maxNewTokensCutsAValidPrefixWithFinishReasonLength() {
        GenerationRequest req = GenerationRequest.ofText("p", "Phone:", sampled(4, 3, 3, Constraint.regex(PHONE)));
        for (Completion c : engine.generate(List.of(req)).completions()) {
            assertEquals(FinishReason.LENGTH, c.finishReason());
            assertEquals(4, c.text().length());
            assertTrue(c.text().matches("\\d{3}-"), c.text());
        }
        GenerationRequest greedy = GenerationRequest.ofText("g", "Phone:", new SamplingParams(3, 0, 0, 1, 0, List.of(), List.of(), false, 1,
                Constraint.jsonSchema(schema())));
        Completion g = engine.generate(List.of(greedy)).completions().get(0);
        assertEquals(FinishReason.LENGTH, g.finishReason());
        checkOne(engine, greedy.params().constraint(), greedy.params(), g);
    }

    @Test
    void aBadConstraintIsThatRowsErrorAndTheOthersAreAnswered() {
        List<GenerationRequest> reqs = List.of(
                GenerationRequest.ofText("ok", "Hello", sampled(8, 1, 1, Constraint.regex(PHONE))),
                GenerationRequest.ofText("badschema", "Hello", sampled(8, 1, 2,
                        Constraint.jsonSchema(parse("{\"type\":\"object\",\"properties\":{\"a\":{\"$ref\":\"http://elsewhere/x\"}}}")))),
                GenerationRequest.ofText("badregex", "Hello", sampled(8, 1, 1, Constraint.regex("(ab"))),
                GenerationRequest.ofText("free", "Hello", sampled(4, 1, 1, null)));
        for (Scheduler s : Scheduler.values()) {
            List<Completion> out = new ArrayList<>();
            engine.stream(reqs.iterator(), engine.options().batchOptions().withScheduler(s), out::add);
            GenerationResult r = engine.generate(reqs, engine.options().batchOptions().withScheduler(s), ProgressListener.NONE);
            for (List<Completion> cs : List.of(r.completions(), out)) {
                assertEquals(5, cs.size());
                for (Completion c : cs) {
                    boolean bad = c.requestId().startsWith("bad");
                    assertEquals(bad, c.finishReason() == FinishReason.ERROR, c.requestId() + " " + c.error());
                    if (bad) assertNotNull(c.error());
                    if (c.requestId().equals("ok")) assertTrue(c.text().matches(PHONE), c.text());
                }
            }
        }
    }

    @Test
    void stopStringsEndAConstrainedRowOnlyWhereItsTextIsWhole() {
        Constraint c = Constraint.choice(List.of("x-y", "ab-cd"));
        SamplingParams p = new SamplingParams(16, 1.0, 0, 1.0, 5, List.of("-"), List.of(), false, 3, c);
        for (long seed = 0; seed < 4; seed++) {
            for (Completion out : engine.generate(List.of(GenerationRequest.ofText("s", "Go:", p.withSeed(seed)))).completions()) {
                assertEquals(FinishReason.STOP, out.finishReason());
                assertTrue(c instanceof Constraint.Choice ch && ch.choices().contains(out.text()), out.text()); // "-" passed over
            }
        }
        Constraint ab = Constraint.choice(List.of("ab", "ab-cd"));
        SamplingParams q = new SamplingParams(16, 0, 0, 1.0, 5, List.of("-"), List.of(), true, 1, ab);
        Completion out = engine.generate(List.of(GenerationRequest.ofText("s", "Go:", q))).completions().get(0);
        assertEquals(FinishReason.STOP, out.finishReason());
        assertTrue(out.text().equals("ab"), out.text()); // ignore_eos: "ab-" then the stop cuts at the whole "ab"
    }

    @Test
    void anEmptyMatchEndsAtOnce() {
        Completion c = engine.generate(List.of(GenerationRequest.ofText("e", "Hi", sampled(8, 1, 1, Constraint.choice(List.of(""))))))
                .completions().get(0);
        assertEquals(FinishReason.STOP, c.finishReason());
        assertEquals("", c.text());
        assertEquals(0, c.tokenIds().length);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-bpe", "tiny-llama-sp"})
    void referenceCheckpointsGiveValidJsonAndChoices(String name) {
        Path dir = SharedModels.require(name);
        try (Engine e = Engine.open(ModelLoader.load(dir.toString()), EngineOptions.of(dir.toString()).withBackend("cpu").withThreads(2))) {
            List<GenerationRequest> reqs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                reqs.add(GenerationRequest.ofText("json" + i, "Return the user as JSON. User " + i + ":", sampled(64, 100 + i, 3, Constraint.jsonSchema(schema()))));
                reqs.add(GenerationRequest.ofText("ch" + i, "Is the sky blue? Answer:", sampled(16, 200 + i, 3, Constraint.choice(CHOICES))));
                reqs.add(GenerationRequest.ofText("re" + i, "Phone number:", sampled(16, 300 + i, 3, Constraint.regex(PHONE))));
            }
            for (Scheduler s : Scheduler.values()) {
                GenerationResult r = e.generate(reqs, e.options().batchOptions().withScheduler(s), ProgressListener.NONE);
                assertTrue(check(e, reqs, r) >= 18, name + ": choice and regex rows finish");
            }
        }
    }
}
