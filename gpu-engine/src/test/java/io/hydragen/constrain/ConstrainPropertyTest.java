package io.hydragen.constrain;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dk.brics.automaton.RunAutomaton;
import io.hydragen.model.JsonFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * For random schemas within the supported subset and random logits, over the byte tokenizer and (where
 * ../shared is present) both shared tokenizers: every emitted prefix stays a valid prefix (checked on the
 * character automaton, independently of the byte DFA and the masks), and every completed output validates.
 */
class ConstrainPropertyTest {

    @Provide
    Arbitrary<String> tokenizers() {
        List<String> names = new ArrayList<>(List.of("byte"));
        Fixtures.sharedPresent().forEach(t -> names.add(t.name()));
        return Arbitraries.of(names);
    }

    @Property(tries = 150)
    void prefixesStayValidAndCompletedOutputsValidate(@ForAll long schemaSeed, @ForAll long logitSeed, @ForAll("tokenizers") String tokName) {
        JsonNode schema = randomSchema(new SplittableRandom(schemaSeed), 2);
        Fixtures.Tok tok = Fixtures.byName(tokName);
        Constraint c = Constraint.jsonSchema(schema);
        TokenIndex index = Fixtures.CACHE.get(tok.tokenizer(), tok.vocabSize(), c);
        RunAutomaton prefixes = Fixtures.prefixes(c);
        ConstrainedDecoder.Result r = Fixtures.randomDecode(index, tok, 400, logitSeed);
        String text = Fixtures.check(c, prefixes, Fixtures.javaPattern(c), tok, r);
        Statistics.collect(r.finishReason());
        if (text != null) {
            var errors = Fixtures.validate(schema, text);
            assertTrue(errors.isEmpty(), schema + ": " + Fixtures.show(text) + " fails: " + errors);
        }
    }

    static final String[] NAMES = {"id", "name", "tags", "ok", "n", "x y", "ünï", "a\"b"};
    static final String[] PATTERNS = {"[a-z]{1,4}", "\\d{2}-\\d{2}", "(yes|no)", "[A-F0-9]{4}", "日本?", ".{0,3}"};

    /** A random schema of the supported subset, containers at most {@code depth} deep. */
    static JsonNode randomSchema(SplittableRandom r, int depth) {
        ObjectNode s = JsonFiles.MAPPER.createObjectNode();
        int kind = r.nextInt(depth > 0 ? 12 : 8);
        switch (kind) {
            case 0 -> s.put("type", "integer");
            case 1 -> {
                s.put("type", "number");
                if (r.nextBoolean()) {
                    int lo = r.nextInt(3);
                    s.put("minimum", lo);
                    if (r.nextBoolean()) s.put("maximum", lo + r.nextInt(3));
                }
            }
            case 2 -> s.put("type", r.nextBoolean() ? "boolean" : "null");
            case 3 -> {
                ArrayNode e = s.putArray("enum");
                e.add("α").add(7).add("a b").add(JsonFiles.MAPPER.nullNode());
                if (r.nextBoolean()) e.add("😀");
            }
            case 4 -> {
                s.put("type", "string");
                int min = r.nextInt(3);
                s.put("minLength", min);
                s.put("maxLength", min + r.nextInt(5));
            }
            case 5 -> { s.put("type", "string"); s.put("pattern", PATTERNS[r.nextInt(PATTERNS.length)]); }
            case 6 -> s.put("const", r.nextBoolean() ? "fixed" : "ünï");
            case 7 -> {
                s.put("type", "integer");
                int lo = r.nextInt(-300, 300);
                if (r.nextBoolean()) s.put("minimum", lo); else s.put("exclusiveMinimum", lo);
                if (r.nextBoolean()) s.put("maximum", lo + 1 + r.nextInt(2000));
            }
            case 8, 9 -> {
                s.put("type", "object");
                ObjectNode props = s.putObject("properties");
                ArrayNode req = s.putArray("required");
                int n = 1 + r.nextInt(3);
                int start = r.nextInt(NAMES.length);
                for (int i = 0; i < n; i++) {
                    String name = NAMES[(start + i) % NAMES.length];
                    props.set(name, randomSchema(r, depth - 1));
                    if (r.nextInt(3) > 0) req.add(name);
                }
            }
            case 10 -> {
                s.put("type", "array");
                s.set("items", randomSchema(r, depth - 1));
                int min = r.nextInt(3);
                s.put("minItems", min);
                if (r.nextInt(4) > 0) s.put("maxItems", min + r.nextInt(3));
            }
            default -> {
                ArrayNode any = s.putArray("anyOf");
                any.add(randomSchema(r, depth - 1));
                any.add(randomSchema(r, depth - 1));
            }
        }
        return s;
    }
}
