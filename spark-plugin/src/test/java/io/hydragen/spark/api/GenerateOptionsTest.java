package io.hydragen.spark.api;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** String options (SQL, DataSource) parse into the same options the builder makes, and bad ones are named. */
class GenerateOptionsTest {

    @Test
    void parsesEveryKey() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("MODEL", "synthetic:tiny");
        m.put("prompt_column", "text");
        m.put("max_new_tokens", "7");
        m.put("temperature", "0.5");
        m.put("top_k", "3");
        m.put("top_p", "0.9");
        m.put("seed", "-4");
        m.put("stop", "END,\n\n");
        m.put("stop_token_ids", "2,3");
        m.put("ignore_eos", "true");
        m.put("n", "2");
        m.put("prefix_columns", "instruction,doc");
        m.put("batch_size", "32");
        m.put("min_shared_tokens", "8");
        m.put("backend", "CPU");
        m.put("attention", "per-sequence");
        m.put("partitions", "5");
        m.put("per_row_seeds", "false");
        m.put("routing", "none");
        GenerateOptions o = GenerateOptions.fromMap(m, null);
        GenerateOptions b = GenerateOptions.builder("synthetic:tiny").promptColumn("text").maxNewTokens(7).temperature(0.5)
                .topK(3).topP(0.9).seed(-4).stop(List.of("END", "\n\n")).stopTokenIds(List.of(2, 3)).ignoreEos(true).n(2)
                .prefixColumns("instruction", "doc").batchSize(32).minSharedTokens(8).backend("cpu").attention("per-sequence")
                .partitions(5).perRowSeeds(false).routing("none").build();
        assertEquals(b, o);
    }

    @Test
    void badOptionsAreNamed() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> GenerateOptions.fromMap(Map.of("model", "synthetic:tiny", "max_tokens", "3"), null));
        assertTrue(unknown.getMessage().contains("max_tokens"));
        IllegalArgumentException number = assertThrows(IllegalArgumentException.class,
                () -> GenerateOptions.fromMap(Map.of("model", "synthetic:tiny", "top_k", "many"), null));
        assertTrue(number.getMessage().contains("top_k") && number.getMessage().contains("many"));
        IllegalArgumentException noModel = assertThrows(IllegalArgumentException.class, () -> GenerateOptions.fromMap(Map.of(), null));
        assertTrue(noModel.getMessage().contains("model"));
        assertEquals("synthetic:tiny", GenerateOptions.fromMap(Map.of(), "synthetic:tiny").model(), "the session's default model");
        assertThrows(IllegalArgumentException.class, () -> GenerateOptions.builder("m").topP(0).build());
        assertThrows(IllegalArgumentException.class, () -> GenerateOptions.builder("m").batchSize(0).build());
        assertThrows(IllegalArgumentException.class, () -> GenerateOptions.builder("m").backend("tpu").build());
    }

    @Test
    void refusesAttentionNoneAndNonFiniteOrOutOfRangeSampling() {
        assertMessage("attention", () -> GenerateOptions.builder("m").attention("none").build());
        for (double t : new double[]{Double.NaN, -1, Double.POSITIVE_INFINITY}) {
            assertMessage("temperature", () -> GenerateOptions.builder("m").temperature(t).build());
        }
        assertMessage("temperature", () -> GenerateOptions.fromMap(Map.of("model", "m", "temperature", "NaN"), null));
        assertMessage("top_p", () -> GenerateOptions.builder("m").topP(0).build());
        assertMessage("top_p", () -> GenerateOptions.builder("m").topP(1.5).build());
        assertMessage("top_p", () -> GenerateOptions.builder("m").topP(Double.NaN).build());
        assertMessage("top_k", () -> GenerateOptions.builder("m").topK(-2).build());
        assertMessage("max_new_tokens", () -> GenerateOptions.builder("m").maxNewTokens(-1).build());
        assertEquals(-1, GenerateOptions.builder("m").topK(-1).build().topK(), "-1 = no top-k cut, as in vLLM");
        assertMessage("spark.hydragen.threads", () -> GenerateOptions.fromMap(Map.of("model", "m", "threads", "4"), null));
    }

    @Test
    void unknownKeysSuggestTheNearestOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerateOptions.fromMap(Map.of("model", "m", "max_new_token", "3"), null));
        assertTrue(e.getMessage().contains("did you mean 'max_new_tokens'?"), e.getMessage());
    }

    @Test
    void listOptionsTakeJsonArraysOrUnambiguousCommaLists() {
        assertEquals(List.of(",", "\n\n"), GenerateOptions.fromMap(Map.of("model", "m", "stop", "[\",\", \"\\n\\n\"]"), null).stop());
        assertEquals(List.of("a,b", "c"), GenerateOptions.fromMap(Map.of("model", "m", "stop", "a\\,b,c"), null).stop());
        assertEquals(List.of("END", "DONE"), GenerateOptions.fromMap(Map.of("model", "m", "stop", "END,DONE"), null).stop());
        assertEquals(List.of(2, 3), GenerateOptions.fromMap(Map.of("model", "m", "stop_token_ids", "[2, 3]"), null).stopTokenIds());
        assertEquals(List.of("doc", "q"), GenerateOptions.fromMap(Map.of("model", "m", "prefix_columns", "[\"doc\", \"q\"]"), null).prefixColumns());
        IllegalArgumentException comma = assertThrows(IllegalArgumentException.class,
                () -> GenerateOptions.fromMap(Map.of("model", "m", "stop", ","), null));
        assertTrue(comma.getMessage().contains("stop") && comma.getMessage().contains("JSON array"), comma.getMessage());
        assertMessage("stop", () -> GenerateOptions.fromMap(Map.of("model", "m", "stop", "[\",\""), null));
    }

    static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "message names " + expected + ": " + e.getMessage());
    }
}
