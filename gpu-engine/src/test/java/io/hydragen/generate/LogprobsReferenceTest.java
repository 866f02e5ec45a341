package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.attention.AttentionMode;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.SharedModels;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Prompt and completion log-probabilities on the reference checkpoints (../shared/models) against Hugging Face
 * transformers: logprob-reference.json holds log_softmax of transformers' float32 logits at every prompt position and
 * for the first 8 greedy tokens, with the top 5 there (made by gpu-engine/src/test/python/logprob_reference.py,
 * transformers 5.18, torch 2.13). Each prompt set runs as one batch, with shared prefixes (every attention mode, both
 * schedulers) and with nothing shared.
 */
class LogprobsReferenceTest {
    private static final double TOL = 1e-3;
    private static final double MARGIN = 1e-3;

    static List<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (String model : List.of("tiny-llama-bpe", "tiny-llama-sp")) {
            for (AttentionMode mode : List.of(AttentionMode.HYDRAGEN, AttentionMode.PER_SEQUENCE, AttentionMode.PER_SEQUENCE_SHARED_KV)) {
                for (Scheduler s : Scheduler.values()) a.add(Arguments.of(model, mode, s, 4));
            }
            a.add(Arguments.of(model, AttentionMode.HYDRAGEN, Scheduler.STATIC, 100_000));   // nothing shared
        }
        return a;
    }

    static JsonNode reference() throws IOException {
        try (InputStream in = LogprobsReferenceTest.class.getResourceAsStream("logprob-reference.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static void assertEntry(JsonNode want, TokenLogprob got, String where) {
        assertEquals(want.get("id").asInt(), got.id(), where + " id");
        assertEquals(want.get("logprob").asDouble(), got.logprob(), TOL, where + " logprob");
        JsonNode ids = want.get("top_ids"), lps = want.get("top_logprobs");
        assertEquals(ids.size(), got.top().size(), where + " alternatives");
        for (int i = 0; i < ids.size(); i++) {
            assertEquals(lps.get(i).asDouble(), got.top().get(i).logprob(), TOL, where + " top " + i);
            boolean clear = (i == 0 || lps.get(i - 1).asDouble() - lps.get(i).asDouble() > MARGIN)
                    && (i == ids.size() - 1 || lps.get(i).asDouble() - lps.get(i + 1).asDouble() > MARGIN);
            if (clear) assertEquals(ids.get(i).asInt(), got.top().get(i).id(), where + " top " + i + " id");
        }
    }

    @ParameterizedTest(name = "{0} {1} {2} min-shared {3}")
    @MethodSource("cases")
    void promptAndCompletionLogprobsMatchTransformers(String model, AttentionMode mode, Scheduler scheduler, int minShared) throws IOException {
        Path dir = SharedModels.require(model);
        JsonNode ref = reference().get(model).get("prompt_sets");
        JsonNode fixture = new ObjectMapper().readTree(dir.resolve("expected.json").toFile()).get("prompt_sets");
        EngineOptions o = EngineOptions.of(dir.toString()).withBackend("cpu").withCpuDtype("fp32").withAttention(mode).withMinSharedTokens(minShared);
        try (Engine engine = Engine.open(ModelLoader.load(dir.toString()), o)) {
            for (Iterator<Map.Entry<String, JsonNode>> it = ref.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> set = it.next();
                SamplingParams p = new SamplingParams(8, 0, 0, 1, 0, List.of(), List.of(), true, 1).withLogprobs(5).withPromptLogprobs(5);
                List<GenerationRequest> reqs = new ArrayList<>();
                for (JsonNode row : set.getValue()) reqs.add(GenerationRequest.ofText("r" + reqs.size(), row.get("text").asText(), p));
                GenerationResult r = engine.generate(reqs, o.batchOptions().withScheduler(scheduler), ProgressListener.NONE);
                if (minShared == 4 && !set.getKey().equals("no_sharing")) assertTrue(r.stats().sharedPromptTokens() > 0, set.getKey() + " shares");
                for (int i = 0; i < reqs.size(); i++) {
                    String where = model + " " + mode + " " + scheduler + " " + set.getKey() + "[" + i + "]";
                    Completion c = r.completions().get(i);
                    JsonNode want = set.getValue().get(i);
                    assertNull(c.promptLogprobs().get(0), where + " first prompt entry");
                    assertEquals(want.get("prompt").size() + 1, c.promptLogprobs().size(), where);
                    for (int t = 1; t < c.promptLogprobs().size(); t++) assertEntry(want.get("prompt").get(t - 1), c.promptLogprobs().get(t), where + " prompt " + t);
                    // completion steps while the greedy choice is clear (a near tie may flip under another summation order)
                    JsonNode margin = fixture.get(set.getKey()).get(i).get("greedy_top2_margin");
                    int checked = 0;
                    for (int t = 0; t < want.get("completion").size() && margin.get(t).asDouble() > MARGIN; t++, checked++) {
                        assertEntry(want.get("completion").get(t), c.logprobs().get(t), where + " completion " + t);
                    }
                    assertTrue(checked > 0, where + ": no completion step compared");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void firstEntriesOfEverySegmentAreThoseOfTheWholePrompt(String model) throws IOException {
        // the same prompts one by one (no segment boundaries) give the same values as in their shared batch
        Path dir = SharedModels.require(model);
        JsonNode set = reference().get(model).get("prompt_sets").get("hierarchical");
        EngineOptions o = EngineOptions.of(dir.toString()).withBackend("cpu").withCpuDtype("fp32").withMinSharedTokens(4);
        try (Engine engine = Engine.open(ModelLoader.load(dir.toString()), o)) {
            SamplingParams p = new SamplingParams(1, 0, 0, 1, 0, List.of(), List.of(), true, 1).withPromptLogprobs(0);
            List<GenerationRequest> reqs = new ArrayList<>();
            for (JsonNode row : set) reqs.add(GenerationRequest.ofText("r" + reqs.size(), row.get("text").asText(), p));
            List<Completion> together = engine.generate(reqs).completions();
            for (int i = 0; i < reqs.size(); i++) {
                Completion alone = engine.generate(List.of(reqs.get(i))).completions().get(0);
                assertArrayEquals(alone.promptTokenIds(), together.get(i).promptTokenIds());
                for (int t = 1; t < alone.promptLogprobs().size(); t++) {
                    assertEquals(alone.promptLogprobs().get(t).logprob(), together.get(i).promptLogprobs().get(t).logprob(), 1e-4, model + " " + i + " " + t);
                }
            }
        }
    }

    static List<String> models() { return List.of("tiny-llama-bpe", "tiny-llama-sp"); }
}
