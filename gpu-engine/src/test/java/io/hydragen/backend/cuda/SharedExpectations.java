package io.hydragen.backend.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** The prompt sets of a reference checkpoint's expected.json: input ids, greedy ids and their top-2 margins. */
record SharedExpectations(String set, List<int[]> inputIds, List<int[]> greedyIds, List<double[]> margins) {

    static List<SharedExpectations> read(Path modelDir) {
        try {
            JsonNode root = new ObjectMapper().readTree(modelDir.resolve("expected.json").toFile());
            List<SharedExpectations> out = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.get("prompt_sets").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                List<int[]> in = new ArrayList<>(), greedy = new ArrayList<>();
                List<double[]> margins = new ArrayList<>();
                for (JsonNode p : e.getValue()) {
                    in.add(ints(p.get("input_ids")));
                    greedy.add(ints(p.get("greedy_ids")));
                    JsonNode m = p.get("greedy_top2_margin");
                    double[] d = new double[m.size()];
                    for (int i = 0; i < d.length; i++) d[i] = m.get(i).asDouble();
                    margins.add(d);
                }
                out.add(new SharedExpectations(e.getKey(), in, greedy, margins));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int[] ints(JsonNode n) {
        int[] r = new int[n.size()];
        for (int i = 0; i < r.length; i++) r[i] = n.get(i).asInt();
        return r;
    }

    /**
     * Asserts that {@code got} equals the reference greedy ids on every step up to the first whose recorded margin is
     * at most {@code margin} (after a near-tie the sequences may legitimately part); returns the steps compared.
     */
    int check(int prompt, int[] got, double margin, String where) {
        int[] want = greedyIds.get(prompt);
        double[] m = margins.get(prompt);
        int t = 0;
        for (; t < want.length && t < got.length && m[t] > margin; t++) {
            org.junit.jupiter.api.Assertions.assertEquals(want[t], got[t], where + " " + set + "[" + prompt + "] greedy token " + t);
        }
        return t;
    }
}
