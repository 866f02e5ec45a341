package io.hydragen.constrain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dk.brics.automaton.Automaton;
import io.hydragen.model.JsonFiles;
import io.hydragen.tokenizer.TokenBytes;
import io.hydragen.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the generated text must be, as a request states it:
 * <pre>
 * {"type": "regex", "pattern": "\\d{3}-\\d{4}"}
 * {"type": "choice", "choices": ["yes", "no"]}
 * {"type": "json_schema", "schema": {...}}     (or OpenAI's {"type": "json_schema", "json_schema": {"schema": {...}}})
 * {"type": "json_object"}                      (any JSON object, nesting bounded: {@link JsonSchemaRegex#JSON_OBJECT_DEPTH})
 * </pre>
 * The text must match as a whole. {@link #canonical} is the cache key of the compiled form.
 */
public sealed interface Constraint {

    /** Equal for constraints that accept the same way; the key of {@link ConstraintCache}. */
    String canonical();

    /** The regex (syntax of {@link RegexSyntax}) the constraint compiles from. */
    String regex();

    /** The character automaton: minimal DFA over UTF-16 chars. */
    default Automaton automaton() { return RegexSyntax.compile(RegexSyntax.parse(regex())); }

    /** The byte-level DFA (see {@link ByteDfa}). */
    default ByteDfa byteDfa() { return ByteDfa.fromChars(automaton()); }

    /** Compiled against a tokenizer's vocabulary, uncached; prefer {@link ConstraintCache#get}. */
    default TokenIndex index(Tokenizer tokenizer, int vocabSize) {
        return new TokenIndex(byteDfa(), TokenBytes.table(tokenizer, vocabSize), vocabSize);
    }

    record Regex(String pattern) implements Constraint {
        public Regex {
            if (pattern == null) throw new ConstraintException("regex constraint without a pattern");
        }
        @Override public String canonical() { return "regex:" + pattern; }
        @Override public String regex() { return pattern; }
    }

    record Choice(List<String> choices) implements Constraint {
        public Choice {
            if (choices == null || choices.isEmpty()) throw new ConstraintException("choice constraint with no choices");
            choices = List.copyOf(choices);
        }
        @Override public String canonical() { return "choice:" + json(JsonFiles.MAPPER.valueToTree(choices)); }
        @Override public String regex() {
            List<RegexSyntax.Node> alts = new ArrayList<>();
            for (String c : choices) alts.add(RegexSyntax.literal(c));
            return RegexSyntax.print(alts.size() == 1 ? alts.get(0) : new RegexSyntax.Alt(alts));
        }
        @Override public Automaton automaton() {
            List<Automaton> alts = new ArrayList<>();
            for (String c : choices) alts.add(Automaton.makeString(c));
            Automaton a = Automaton.union(alts);
            a.minimize();
            return a;
        }
    }

    record JsonSchema(JsonNode schema) implements Constraint {
        public JsonSchema {
            if (schema == null || !(schema.isObject() || schema.isBoolean())) throw new ConstraintException("json_schema constraint: the schema must be a JSON object");
        }
        @Override public String canonical() { return "json_schema:" + json(schema); }
        @Override public String regex() { return JsonSchemaRegex.translate(schema); }
    }

    record JsonObject() implements Constraint {
        @Override public String canonical() { return "json_object"; }
        @Override public String regex() { return JsonSchemaRegex.anyObject(JsonSchemaRegex.JSON_OBJECT_DEPTH); }
    }

    static Constraint regex(String pattern) { return new Regex(pattern); }

    static Constraint choice(List<String> choices) { return new Choice(choices); }

    static Constraint jsonSchema(JsonNode schema) { return new JsonSchema(schema); }

    static Constraint jsonObject() { return new JsonObject(); }

    /** Parses a constraint given as JSON text (see the class comment). */
    static Constraint parse(String json) {
        JsonNode n;
        try {
            n = JsonFiles.MAPPER.readTree(json.getBytes(StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new ConstraintException("constraint is not valid JSON: " + e.getMessage());
        }
        return parse(n);
    }

    /** Parses a constraint given as a JSON object (see the class comment). */
    static Constraint parse(JsonNode spec) {
        if (spec == null || !spec.isObject()) throw new ConstraintException("constraint must be a JSON object with a \"type\"");
        String type = spec.path("type").asText("");
        switch (type) {
            case "regex": {
                JsonNode p = spec.has("pattern") ? spec.get("pattern") : spec.get("regex");
                if (p == null || !p.isTextual()) throw new ConstraintException("regex constraint needs a string \"pattern\"");
                return new Regex(p.asText());
            }
            case "choice": {
                JsonNode c = spec.get("choices");
                if (c == null || !c.isArray()) throw new ConstraintException("choice constraint needs a list \"choices\"");
                List<String> out = new ArrayList<>();
                for (JsonNode e : c) {
                    if (!e.isTextual()) throw new ConstraintException("choice constraint: every choice must be a string");
                    out.add(e.asText());
                }
                return new Choice(out);
            }
            case "json_schema": {
                JsonNode s = spec.get("schema");
                if (s == null && spec.path("json_schema").isObject()) s = spec.get("json_schema").get("schema");
                if (s == null) throw new ConstraintException("json_schema constraint needs a \"schema\"");
                return new JsonSchema(s);
            }
            case "json_object":
                return new JsonObject();
            default:
                throw new ConstraintException("constraint type must be regex, choice, json_schema or json_object, not \"" + type + "\"");
        }
    }

    private static String json(JsonNode n) {
        try {
            return JsonFiles.MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
