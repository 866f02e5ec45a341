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
}
