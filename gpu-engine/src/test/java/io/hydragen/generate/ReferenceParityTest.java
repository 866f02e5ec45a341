package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.AttentionBlock;
import io.hydragen.backend.ForwardBatch;
import io.hydragen.backend.KvSegment;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.SharedModels;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine against Hugging Face transformers on the reference checkpoints (../shared/models): prompt ids,
 * last-position top-10 logits, per-position logits, and greedy ids (under both schedulers), with Hydragen and with
 * per-sequence attention.
 * Each prompt set runs as one batch, so the Hydragen runs exercise shared and hierarchical prefixes.
 */
class ReferenceParityTest {
    private static final double LOGIT_TOL = 1e-3;
    private static final double MARGIN = 1e-3;

    static List<Arguments> cases() {
        List<Arguments> a = new ArrayList<>();
        for (String model : List.of("tiny-llama-bpe", "tiny-llama-sp")) {
            for (AttentionMode mode : List.of(AttentionMode.HYDRAGEN, AttentionMode.PER_SEQUENCE, AttentionMode.PER_SEQUENCE_SHARED_KV)) a.add(Arguments.of(model, mode));
        }
        return a;
    }

    private static Engine engine(Path dir, AttentionMode mode) {
        // min_shared_tokens 4: the short prompts of these sets still form shared segments
        // fp32: the parity bound is fp32's; bf16 compute has its own test (Bf16ReferenceParityTest)
        return Engine.open(ModelLoader.load(dir.toString()), EngineOptions.of(dir.toString()).withBackend("cpu").withCpuDtype("fp32")
                .withAttention(mode).withMinSharedTokens(4));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void greedyIdsAndLogitsMatchTransformers(String model, AttentionMode mode) throws IOException {
        Path dir = SharedModels.require(model);
        try (Engine engine = engine(dir, mode)) {
            for (ReferencePromptSet set : ReferencePromptSet.read(dir)) {
                List<GenerationRequest> reqs = set.greedyRequests();
                GenerationResult result = engine.generate(reqs);
                List<Completion> out = result.completions();
                // the continuous scheduler, two rows running: rows are admitted as others finish, into live segments
                BatchOptions continuous = engine.options().batchOptions().withScheduler(Scheduler.CONTINUOUS).withMaxBatchSequences(2);
                List<Completion> streamed = engine.generate(reqs, continuous, ProgressListener.NONE).completions();
                if (mode == AttentionMode.HYDRAGEN && !set.name().equals("no_sharing")) {
                    assertTrue(result.stats().sharedPromptTokens() > 0, set.name() + ": expected shared prefix segments");
                    assertTrue(result.stats().prefilledTokens() < result.stats().promptTokens(), set.name() + ": shared tokens prefilled once");
                }
                List<float[]> last = engine.promptLogits(set.encode(engine.tokenizer()));
                for (int i = 0; i < set.prompts().size(); i++) {
                    ReferencePromptSet.Prompt p = set.prompts().get(i);
                    String where = model + " " + mode + " " + set.name() + "[" + i + "]";
                    Completion c = out.get(i);
                    assertArrayEquals(p.inputIds(), c.promptTokenIds(), where + " prompt ids");
                    int[] want = p.greedyIds();
                    int checked = 0;
                    for (int t = 0; t < want.length && p.greedyMargins()[t] > MARGIN; t++, checked++) {
                        assertEquals(want[t], c.tokenIds()[t], where + " greedy token " + t);
                        assertEquals(want[t], streamed.get(i).tokenIds()[t], where + " greedy token " + t + " (continuous scheduler)");
                    }
                    assertTrue(checked > 0, where + ": no step with a clear margin was compared");
                    for (int k = 0; k < p.top10Ids().length; k++) {
                        int id = p.top10Ids()[k];
                        assertEquals(p.top10Logits()[k], last.get(i)[id], LOGIT_TOL, where + " logit of " + id);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void logitsAtEveryPositionOfTheFirstPrompt(String model, AttentionMode mode) throws IOException {
        Path dir = SharedModels.require(model);
        JsonNode exp = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        JsonNode want = exp.get("prefill_logits_first_prompt_vocab0_63");
        try (Engine engine = engine(dir, mode)) {
            String text = exp.get("prompt_sets").get("shared_prefix").get(0).get("text").asText();
            int[] ids = engine.tokenizer().encode(text, true);
            int n = ids.length;
            try (KvSegment seg = engine.backend().newSegment(n)) {
                seg.setLength(n);
                int[] pos = new int[n], slots = new int[n], rows = new int[n], vis = new int[n];
                KvSegment[] writes = new KvSegment[n];
                for (int r = 0; r < n; r++) { pos[r] = r; slots[r] = r; rows[r] = r; vis[r] = r + 1; writes[r] = seg; }
                float[][] logits = engine.backend().forward(new ForwardBatch(ids, pos, writes, slots,
                        List.of(new AttentionBlock(List.of(seg), rows, vis)), rows), mode);
                assertEquals(want.size(), n, "positions");
                for (int r = 0; r < n; r++) {
                    for (int v = 0; v < 64; v++) {
                        assertEquals(want.get(r).get(v).asDouble(), logits[r][v], LOGIT_TOL, model + " position " + r + " vocab " + v);
                    }
                }
            }
        }
    }
}
