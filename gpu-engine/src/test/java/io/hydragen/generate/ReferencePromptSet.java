package io.hydragen.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One prompt set of a reference checkpoint's expected.json (../shared/models; its README says how transformers made
 * it). Each set runs as one batch in the parity tests, so its prompts share prefixes as the set's name says.
 */
record ReferencePromptSet(String name, List<Prompt> prompts) {
    /** The greedy run the reference recorded: 24 new tokens, EOS ignored so every prompt runs all of them. */
    static final SamplingParams GREEDY = new SamplingParams(24, 0, 0, 1, 0, List.of(), List.of(), true, 1);

    /**
     * One prompt and what transformers answered for it (float32).
     *
     * @param greedyMargins per greedy step, the reference's top-1 minus top-2 logit: after a near-tie the ids may part
     * @param top10Ids      the ten largest logits at the last prompt position, and {@code top10Logits} their values
     */
    record Prompt(String text, int[] inputIds, int[] greedyIds, double[] greedyMargins, int[] top10Ids, double[] top10Logits) {
        static Prompt of(JsonNode p) {
            JsonNode top = p.get("prefill_last_top10");
            return new Prompt(p.get("text").asText(), ints(p.get("input_ids")), ints(p.get("greedy_ids")),
                    doubles(p.get("greedy_top2_margin")), ints(top.get("ids")), doubles(top.get("logits")));
        }
    }

    /** The prompt sets of {@code dir}/expected.json, in the file's order. */
    static List<ReferencePromptSet> read(Path dir) throws IOException {
        JsonNode sets = new ObjectMapper().readTree(dir.resolve("expected.json").toFile()).get("prompt_sets");
        List<ReferencePromptSet> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = sets.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> set = it.next();
            List<Prompt> prompts = new ArrayList<>();
            for (JsonNode p : set.getValue()) prompts.add(Prompt.of(p));
            out.add(new ReferencePromptSet(set.getKey(), prompts));
        }
        return out;
    }

    /** The set's prompts as one batch of {@link #GREEDY} requests, ids {@code name + index}. */
    List<GenerationRequest> greedyRequests() {
        List<GenerationRequest> reqs = new ArrayList<>();
        for (Prompt p : prompts) reqs.add(GenerationRequest.ofText(name + reqs.size(), p.text(), GREEDY));
        return reqs;
    }

    /** The prompts' ids as the engine's tokenizer encodes them, special tokens added as transformers' input_ids have them. */
    List<int[]> encode(Tokenizer tokenizer) {
        List<int[]> ids = new ArrayList<>();
        for (Prompt p : prompts) ids.add(tokenizer.encode(p.text(), true));
        return ids;
    }

    private static int[] ints(JsonNode n) {
        int[] r = new int[n.size()];
        for (int i = 0; i < r.length; i++) r[i] = n.get(i).asInt();
        return r;
    }

    private static double[] doubles(JsonNode n) {
        double[] r = new double[n.size()];
        for (int i = 0; i < r.length; i++) r[i] = n.get(i).asDouble();
        return r;
    }
}
