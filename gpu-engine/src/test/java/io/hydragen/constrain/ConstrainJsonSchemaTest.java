package io.hydragen.constrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dk.brics.automaton.RunAutomaton;
import io.hydragen.model.JsonFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random-logit decoding under JSON schemas, regexes and choices, for the byte tokenizer and both shared
 * tokenizers: every prefix stays a valid prefix, and every completed output parses and validates (networknt
 * json-schema-validator, draft 2020-12) and matches the translated regex by java.util.regex.
 */
public class ConstrainJsonSchemaTest {
    static final int SEEDS = 6;

    public static final List<String> SCHEMAS = List.of(
            // nested objects, pattern
            "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":12},\"address\":{\"type\":\"object\","
                    + "\"properties\":{\"city\":{\"type\":\"string\",\"maxLength\":10},\"zip\":{\"type\":\"string\",\"pattern\":\"^[0-9]{5}$\"}},"
                    + "\"required\":[\"city\",\"zip\"]}},\"required\":[\"name\",\"address\"]}",
            // enums of every kind
            "{\"type\":\"object\",\"properties\":{\"color\":{\"enum\":[\"red\",\"green\",\"blue\"]},\"size\":{\"type\":\"string\","
                    + "\"enum\":[\"S\",\"M\",\"L\",\"XL\"]},\"mixed\":{\"enum\":[1,\"two\",null,true,{\"a\":[1,2]},\"q\\\"uote\"]}},"
                    + "\"required\":[\"color\",\"size\",\"mixed\"],\"additionalProperties\":false}",
            // arrays with bounds
            "{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":6},"
                    + "\"minItems\":1,\"maxItems\":3},\"scores\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"maxItems\":4},"
                    + "\"empty\":{\"type\":\"array\",\"maxItems\":0}},\"required\":[\"tags\",\"scores\",\"empty\"]}",
            // numbers
            "{\"type\":\"object\",\"properties\":{\"i\":{\"type\":\"integer\"},\"x\":{\"type\":\"number\"},\"n\":{\"type\":\"integer\","
                    + "\"minimum\":0},\"p\":{\"type\":\"number\",\"minimum\":0},\"q\":{\"type\":\"integer\",\"exclusiveMinimum\":0},"
                    + "\"r\":{\"type\":\"integer\",\"minimum\":-40,\"maximum\":250},\"s\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1}},\"required\":[\"i\",\"x\",\"n\",\"p\",\"q\",\"r\",\"s\"]}",
            // optional properties
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"boolean\"},\"b\":{\"type\":\"null\"},\"c\":{\"type\":\"integer\"},"
                    + "\"d\":{\"type\":\"string\",\"maxLength\":5}},\"required\":[\"c\"]}",
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"boolean\"}}}",
            // anyOf and type lists
            "{\"type\":\"object\",\"properties\":{\"v\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\",\"maxLength\":4},"
                    + "{\"type\":\"null\"}]},\"w\":{\"type\":[\"boolean\",\"integer\"]}},\"required\":[\"v\",\"w\"]}",
            // unicode strings: minLength/maxLength count code points
            "{\"type\":\"object\",\"properties\":{\"greeting\":{\"enum\":[\"こんにちは\",\"😀 hi\",\"naïve café\"]},\"word\":{\"type\":"
                    + "\"string\",\"minLength\":2,\"maxLength\":4},\"han\":{\"type\":\"string\",\"pattern\":\"[一-龥]{2,3}\"}},"
                    + "\"required\":[\"greeting\",\"word\",\"han\"]}",
            // $ref to $defs, used twice
            "{\"$defs\":{\"point\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"},\"y\":{\"type\":\"integer\"}},"
                    + "\"required\":[\"x\",\"y\"]}},\"type\":\"object\",\"properties\":{\"from\":{\"$ref\":\"#/$defs/point\"},"
                    + "\"to\":{\"$ref\":\"#/$defs/point\"}},\"required\":[\"from\",\"to\"]}",
            // a top-level array of objects
            "{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},\"ok\":{\"type\":\"boolean\"}},"
                    + "\"required\":[\"id\"]},\"minItems\":2,\"maxItems\":3}",
            // fixed-length strings, uuid, const, a map with typed values
            "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\",\"format\":\"uuid\"},\"code\":{\"type\":\"string\","
                    + "\"minLength\":3,\"maxLength\":3},\"kind\":{\"const\":\"point\"},\"counts\":{\"type\":\"object\","
                    + "\"additionalProperties\":{\"type\":\"integer\"}}},\"required\":[\"id\",\"code\",\"kind\",\"counts\"]}");

    static Stream<Arguments> schemaCases() {
        List<Arguments> out = new ArrayList<>();
        List<String> toks = new ArrayList<>(List.of("byte"));
        Fixtures.sharedPresent().forEach(t -> toks.add(t.name()));
        for (String t : toks) for (int i = 0; i < SCHEMAS.size(); i++) out.add(Arguments.of(t, i));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} schema {1}")
    @MethodSource("schemaCases")
    void completedOutputsValidate(String tokName, int schemaIndex) {
        Fixtures.Tok tok = Fixtures.byName(tokName);
        JsonNode schema = JsonFiles.parseObject("schema", "test", SCHEMAS.get(schemaIndex).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Constraint c = Constraint.jsonSchema(schema);
        TokenIndex index = Fixtures.CACHE.get(tok.tokenizer(), tok.vocabSize(), c);
        RunAutomaton prefixes = Fixtures.prefixes(c);
        Pattern regex = Fixtures.javaPattern(c);
        int completed = 0;
        for (int seed = 0; seed < SEEDS; seed++) {
            ConstrainedDecoder.Result r = Fixtures.randomDecode(index, tok, 1000, seed * 7919L + schemaIndex);
            String text = Fixtures.check(c, prefixes, regex, tok, r);
            if (text == null) continue;
            completed++;
            var errors = Fixtures.validate(schema, text);
            assertTrue(errors.isEmpty(), tok + " schema " + schemaIndex + ": " + Fixtures.show(text) + " fails validation: " + errors);
        }
        assertTrue(completed >= 1, tok + " schema " + schemaIndex + ": no decoding completed in " + SEEDS + " tries");
    }

    static Stream<Arguments> regexCases() {
        List<String> regexes = List.of("\\d{3}-\\d{4}", "(cat|dog)s?", "[A-Z][a-z]{2,6} [0-9]{1,3}", "日本[語人]|😀+", "(?:[a-f0-9]{2}:){2}[a-f0-9]{2}",
                "\\s?\\w{1,8}@\\w{1,8}\\.(com|org)");
        List<String> toks = new ArrayList<>(List.of("byte"));
        Fixtures.sharedPresent().forEach(t -> toks.add(t.name()));
        List<Arguments> out = new ArrayList<>();
        for (String t : toks) for (String r : regexes) out.add(Arguments.of(t, r));
        return out.stream();
    }

    @ParameterizedTest(name = "{0} regex {1}")
    @MethodSource("regexCases")
    void regexOutputsMatch(String tokName, String regex) {
        Fixtures.Tok tok = Fixtures.byName(tokName);
        Constraint c = Constraint.regex(regex);
        decodeAndCheck(tok, c, 60);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"byte", "tiny-llama-bpe", "tiny-llama-sp"})
    void choicesAreExact(String tokName) {
        Fixtures.Tok tok = Fixtures.byName(tokName);
        for (List<String> choices : List.of(List.of("yes", "no", "maybe"), List.of("😀", "日本語", "naïve", " spaced"), List.of("a", "ab", "abc"))) {
            Constraint c = Constraint.choice(choices);
            TokenIndex index = Fixtures.CACHE.get(tok.tokenizer(), tok.vocabSize(), c);
            for (int seed = 0; seed < SEEDS; seed++) {
                ConstrainedDecoder.Result r = Fixtures.randomDecode(index, tok, 40, seed);
                assertEquals("stop", r.finishReason());
                String text = Fixtures.strictUtf8(Fixtures.bytes(tok, r.tokens()));
                assertTrue(choices.contains(text), tok + ": " + Fixtures.show(text) + " is not one of " + choices);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"byte", "tiny-llama-bpe", "tiny-llama-sp"})
    void jsonObjectOutputsAreObjects(String tokName) {
        Fixtures.Tok tok = Fixtures.byName(tokName);
        Constraint c = Constraint.jsonObject();
        JsonNode anyObject = JsonFiles.parseObject("schema", "test", "{\"type\":\"object\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        TokenIndex index = Fixtures.CACHE.get(tok.tokenizer(), tok.vocabSize(), c);
        RunAutomaton prefixes = Fixtures.prefixes(c);
        for (int seed = 0; seed < 4; seed++) {
            String text = Fixtures.check(c, prefixes, null, tok, Fixtures.randomDecode(index, tok, 300, seed));
            if (text != null) assertTrue(Fixtures.validate(anyObject, text).isEmpty(), Fixtures.show(text));
        }
    }

    private static void decodeAndCheck(Fixtures.Tok tok, Constraint c, int maxNew) {
        TokenIndex index = Fixtures.CACHE.get(tok.tokenizer(), tok.vocabSize(), c);
        RunAutomaton prefixes = Fixtures.prefixes(c);
        Pattern regex = Fixtures.javaPattern(c);
        int completed = 0;
        for (int seed = 0; seed < SEEDS; seed++) {
            if (Fixtures.check(c, prefixes, regex, tok, Fixtures.randomDecode(index, tok, maxNew, seed)) != null) completed++;
        }
        assertTrue(completed >= 1, tok + " " + c.canonical() + ": nothing completed");
    }

    // ------------------------------------------------------------------ translation errors

    static JsonNode json(String s) { return JsonFiles.parseObject("schema", "test", s.getBytes(java.nio.charset.StandardCharsets.UTF_8)); }

    @ParameterizedTest
    @ValueSource(strings = {
            "$ref|{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#/$defs/node\"}}}},\"$ref\":\"#/$defs/node\"}",
            "$ref|{\"type\":\"object\",\"properties\":{\"self\":{\"$ref\":\"#\"}}}",
            "oneOf|{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}",
            "not|{\"not\":{\"type\":\"integer\"}}",
            "patternProperties|{\"type\":\"object\",\"patternProperties\":{\"^a\":{\"type\":\"integer\"}}}",
            "uniqueItems|{\"type\":\"array\",\"uniqueItems\":true}",
            "minimum|{\"type\":\"number\",\"minimum\":0.5}",
            "maximum|{\"type\":\"number\",\"minimum\":0,\"maximum\":2.5}",
            "exclusiveMaximum|{\"type\":\"number\",\"minimum\":1,\"exclusiveMaximum\":1}",
            "maximum|{\"type\":\"integer\",\"minimum\":5,\"maximum\":4}",
            "multipleOf|{\"type\":\"integer\",\"multipleOf\":5}",
            "format|{\"type\":\"string\",\"format\":\"email\"}",
            "prefixItems|{\"type\":\"array\",\"prefixItems\":[{\"type\":\"integer\"}]}",
            "required|{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"b\"]}",
            "pattern|{\"type\":\"string\",\"pattern\":\"(a)\\\\1\"}",
            "type|{\"type\":\"date\"}",
            "$ref|{\"$ref\":\"https://example.com/schema\"}"})
    void unsupportedSchemasNameTheKeyword(String c) {
        String keyword = c.substring(0, c.indexOf('|'));
        JsonNode schema = json(c.substring(c.indexOf('|') + 1));
        ConstraintException e = assertThrows(ConstraintException.class, () -> JsonSchemaRegex.translate(schema));
        assertTrue(e.getMessage().contains("'" + keyword + "'"), e.getMessage());
        if (c.contains("#/$defs/node")) assertTrue(e.getMessage().contains("recursive"), e.getMessage());
    }

    @Test
    void integerRangesAreExact() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int t = 0; t < 60; t++) {
            long lo = r.nextInt(-1500, 1500), hi = lo + r.nextInt(0, 1500);
            Pattern p = Pattern.compile(IntegerRanges.regex(lo, hi));
            for (long v = -1700; v <= 3200; v++) {
                assertEquals(v >= lo && v <= hi, p.matcher(Long.toString(v)).matches(), lo + ".." + hi + " on " + v + ": " + p);
            }
            assertTrue(!p.matcher("-0").matches() && !p.matcher("007").matches() && !p.matcher("").matches());
        }
        Pattern big = Pattern.compile(IntegerRanges.regex(-JsonSchemaRegex.MAX_INTEGER, JsonSchemaRegex.MAX_INTEGER));
        assertTrue(big.matcher("9999999999999999").matches() && big.matcher("-123").matches() && !big.matcher("10000000000000000").matches());
        // bounds of schemas: inclusive, exclusive, fractional
        Constraint c = Constraint.jsonSchema(json("{\"type\":\"integer\",\"exclusiveMinimum\":-2.5,\"maximum\":7.9}"));
        for (int v = -5; v <= 10; v++) assertEquals(v >= -2 && v <= 7, c.automaton().run(Integer.toString(v)), "" + v);
        Constraint prob = Constraint.jsonSchema(json("{\"type\":\"number\",\"minimum\":0,\"maximum\":1}"));
        for (String ok : List.of("0", "0.5", "1", "1.0", "0.999")) assertTrue(prob.automaton().run(ok), ok);
        for (String bad : List.of("-0.1", "1.1", "2", "1e0", "01")) assertTrue(!prob.automaton().run(bad), bad);
    }

    @Test
    void translationIsReadable() {
        assertEquals("\\{[ ]?\"a\"[ ]?:[ ]?(?:true|false)[ ]?\\}",
                JsonSchemaRegex.translate(json("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"boolean\"}},\"required\":[\"a\"]}")));
        assertEquals("\"(?:[0-9]{5})\"", JsonSchemaRegex.translate(json("{\"type\":\"string\",\"pattern\":\"^[0-9]{5}$\"}")));
        // an alternation in a pattern stays inside the quotes
        Constraint alt = Constraint.jsonSchema(json("{\"type\":\"string\",\"pattern\":\"yes|no\"}"));
        assertTrue(alt.automaton().run("\"no\"") && !alt.automaton().run("no\""));
        // a pattern is restricted to characters that need no JSON escape
        Constraint c = Constraint.jsonSchema(json("{\"type\":\"string\",\"pattern\":\".{1,2}\"}"));
        assertTrue(c.automaton().run("\"ab\""));
        assertTrue(!c.automaton().run("\"\"\"") && !c.automaton().run("\"\\\""), "quote and backslash are excluded");
    }
}
