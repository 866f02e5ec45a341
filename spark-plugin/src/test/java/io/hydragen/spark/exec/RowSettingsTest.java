package io.hydragen.spark.exec;

import io.hydragen.constrain.Constraint;
import io.hydragen.generate.SamplingParams;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.RowSetting;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** A row's own settings over the call's ({@link RowSettings}): values, types, and the errors that stay the row's. */
class RowSettingsTest {
    final GenerateOptions options = GenerateOptions.fromMap(pairs(
            "max_new_tokens", "8", "temperature", "0.5", "stop", "END", "regex", "[a-z]+",
            "max_new_tokens_column", "mnt", "temperature_column", "t", "top_k_column", "k", "top_p_column", "p",
            "seed_column", "s", "stop_column", "st", "response_format_column", "rf", "regex_column", "re", "choice_column", "ch"),
            "synthetic:tiny");
    final SamplingParams base = options.samplingParams(77);

    static Map<String, String> pairs(String... kv) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    SamplingParams apply(String json) { return RowSettings.apply(base, json, options); }

    String error(String json) { return assertThrows(IllegalArgumentException.class, () -> apply(json)).getMessage(); }

    @Test
    void optionsNameTheColumns() {
        assertEquals("t", options.settingColumns().get(RowSetting.TEMPERATURE));
        assertEquals(9, options.settingColumns().size());
        assertEquals(options, options.toBuilder().build());
        String e = assertThrows(IllegalArgumentException.class,
                () -> GenerateOptions.fromMap(Map.of("temperatur_column", "t"), "synthetic:tiny")).getMessage();
        assertTrue(e.contains("did you mean 'temperature_column'"), e);
    }

    @Test
    void noSettingsOrNullCellsKeepTheCallsValues() {
        assertSame(base, apply(null));
        assertSame(base, apply("{}"));
        assertEquals(base, apply("{\"temperature\": null}"));
    }

    @Test
    void aRowsValuesReplaceTheCallsAndItsSeedIsUsedAsIs() {
        SamplingParams p = apply("{\"max_new_tokens\": 3, \"temperature\": 1.25, \"top_k\": 5, \"top_p\": 0.9, \"seed\": -42, \"stop\": [\".\", \"!\"]}");
        assertEquals(new SamplingParams(3, 1.25, 5, 0.9, -42, List.of(".", "!"), base.stopTokenIds(), false, 1, base.constraint()), p);
        // strings holding numbers (csv tables), whole doubles, and a single stop string
        SamplingParams q = apply("{\"max_new_tokens\": \"4\", \"temperature\": \"0\", \"top_k\": 2.0, \"seed\": \"9223372036854775807\", \"stop\": \"\\n\"}");
        assertEquals(4, q.maxNewTokens());
        assertEquals(0.0, q.temperature());
        assertEquals(2, q.topK());
        assertEquals(Long.MAX_VALUE, q.seed());
        assertEquals(List.of("\n"), q.stop());
    }

    @Test
    void badValuesAreErrorsNamingTheOptionAndColumn() {
        assertTrue(error("{\"temperature\": \"NaN\"}").contains("temperature must be a finite number >= 0, got NaN"));
        assertTrue(error("{\"temperature\": -1}").contains("temperature must be"));
        assertTrue(error("{\"max_new_tokens\": -3}").contains("max_new_tokens must be >= 0, got -3"));
        String e = error("{\"max_new_tokens\": 2.5}");
        assertTrue(e.contains("max_new_tokens_column 'mnt'") && e.contains("whole number") && e.contains("2.5"), e);
        e = error("{\"max_new_tokens\": 3000000000}");
        assertTrue(e.contains("from -2147483648 to 2147483647"), e);
        e = error("{\"temperature\": true}");
        assertTrue(e.contains("temperature_column 't': expected a number, got true"), e);
        assertTrue(error("{\"temperature\": \"hot\"}").contains("expected a number, got \"hot\""));
        assertTrue(error("{\"top_p\": 0}").contains("top_p must be in (0, 1]"));
        assertTrue(error("{\"top_k\": -2}").contains("top_k must be >= 0"));
        assertTrue(error("{\"seed\": 1e30}").contains("seed_column 's'"));
        assertTrue(error("{\"stop\": [\"a\", 1]}").contains("stop_column 'st': expected an array of non-empty strings"));
        assertTrue(error("{\"stop\": {\"a\": 1}}").contains("expected a string or an array of strings"));
    }

    @Test
    void aRowsConstraintWinsOverTheCalls() {
        assertInstanceOf(Constraint.Regex.class, base.constraint());
        assertEquals(new Constraint.Choice(List.of("yes", "no")), apply("{\"choice\": [\"yes\", \"no\"]}").constraint());
        assertEquals(new Constraint.Choice(List.of("a,b", "c")), apply("{\"choice\": \"[\\\"a,b\\\", \\\"c\\\"]\"}").constraint());
        assertEquals(new Constraint.Regex("\\d{3}"), apply("{\"regex\": \"\\\\d{3}\"}").constraint());
        String schema = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"a\"]}";
        Constraint bare = apply("{\"response_format\": " + new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(schema) + "}").constraint();
        Constraint whole = apply("{\"response_format\": {\"type\": \"json_schema\", \"schema\": " + schema + "}}").constraint();
        assertInstanceOf(Constraint.JsonSchema.class, bare);
        assertEquals(bare.canonical(), whole.canonical());
        assertInstanceOf(Constraint.JsonObject.class, apply("{\"response_format\": \"{\\\"type\\\": \\\"json_object\\\"}\"}").constraint());
        assertNull(apply("{\"response_format\": {\"type\": \"text\"}}").constraint(), "a row may ask for free text");
        assertTrue(error("{\"regex\": \"a\", \"choice\": [\"b\"]}").contains("more than one"));
        assertTrue(error("{\"choice\": []}").contains("choice_column 'ch'"));
        assertTrue(error("{\"response_format\": \"{not json\"}").contains("response_format_column 'rf': expected JSON text"));
        assertTrue(error("{\"regex\": 5}").contains("regex_column 're': expected a string"));
    }
}
