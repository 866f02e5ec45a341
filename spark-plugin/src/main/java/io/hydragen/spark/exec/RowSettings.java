package io.hydragen.spark.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.constrain.Constraint;
import io.hydragen.generate.SamplingParams;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.RowSetting;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * A row's own settings over the call's: reads the JSON object routing made of the setting columns
 * ({@link io.hydragen.spark.partition.RoutingColumns#SETTINGS}, null cells left out) and returns the row's sampling
 * parameters. Every value is checked by the engine's own rules ({@link SamplingParams}); a value that breaks them, or
 * has a type the setting cannot take, throws {@link IllegalArgumentException} naming the option and the column, which
 * becomes that row's error while the other rows are answered.
 *
 * <p>Accepted cells: numbers of any Spark numeric type, or strings holding one (tables read from csv hold strings);
 * integer settings ({@code max_new_tokens}, {@code top_k}, {@code seed}) need a whole number in range. {@code stop}:
 * an array of strings, or a string that is one stop string. {@code response_format}: JSON text or a struct/map, either
 * a whole response format ({@code {"type": "json_schema", "schema": {...}}}, {@code {"type": "json_object"}},
 * {@code {"type": "text"}} for free text) or a bare JSON schema. {@code regex}: a string. {@code choice}: an array of
 * strings, or a string holding a JSON array. A row's constraint replaces the call's; at most one per row.
 */
public final class RowSettings {
    private RowSettings() {}

    // Spark's to_json may write a double column's NaN and infinities as bare tokens
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    /** {@code base} with the row's settings applied; {@code base} itself when the row has none. */
    public static SamplingParams apply(SamplingParams base, String settingsJson, GenerateOptions options) {
        if (settingsJson == null) return base;
        JsonNode row;
        try {
            row = JSON.readTree(settingsJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("the row's settings are not readable: " + e.getMessage());
        }
        if (row == null || !row.isObject() || row.isEmpty()) return base;
        Reader r = new Reader(row, options);
        int maxNewTokens = r.has(RowSetting.MAX_NEW_TOKENS) ? (int) r.integer(RowSetting.MAX_NEW_TOKENS, Integer.MIN_VALUE, Integer.MAX_VALUE) : base.maxNewTokens();
        double temperature = r.has(RowSetting.TEMPERATURE) ? r.number(RowSetting.TEMPERATURE) : base.temperature();
        int topK = r.has(RowSetting.TOP_K) ? (int) r.integer(RowSetting.TOP_K, Integer.MIN_VALUE, Integer.MAX_VALUE) : base.topK();
        double topP = r.has(RowSetting.TOP_P) ? r.number(RowSetting.TOP_P) : base.topP();
        long seed = r.has(RowSetting.SEED) ? r.integer(RowSetting.SEED, Long.MIN_VALUE, Long.MAX_VALUE) : base.seed();
        List<String> stop = r.has(RowSetting.STOP) ? r.stop() : base.stop();
        Constraint constraint = r.hasConstraint() ? r.constraint() : base.constraint();
        Integer logprobs = r.has(RowSetting.LOGPROBS) ? Integer.valueOf((int) r.integer(RowSetting.LOGPROBS, Integer.MIN_VALUE, Integer.MAX_VALUE)) : base.logprobs();
        try {
            return new SamplingParams(maxNewTokens, temperature, topK, topP, seed, stop, base.stopTokenIds(),
                    base.ignoreEos(), base.n(), constraint, logprobs, base.promptLogprobs());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a per-row setting is out of range: " + e.getMessage());
        }
    }

    /** Reads one row's settings object, naming the option and column in every complaint. */
    private record Reader(JsonNode row, GenerateOptions options) {
        boolean has(RowSetting s) { return row.hasNonNull(s.key()); }

        boolean hasConstraint() { return has(RowSetting.RESPONSE_FORMAT) || has(RowSetting.REGEX) || has(RowSetting.CHOICE); }

        IllegalArgumentException bad(RowSetting s, String expected) {
            return new IllegalArgumentException(s.columnOption() + " '" + options.settingColumns().get(s) + "': expected "
                    + expected + ", got " + abbreviate(row.get(s.key()).toString()));
        }

        double number(RowSetting s) {
            JsonNode v = row.get(s.key());
            if (v.isNumber()) return v.doubleValue();
            // Spark writes NaN and infinities of a double column as strings; a csv column is strings throughout
            if (v.isTextual()) {
                try {
                    return Double.parseDouble(v.textValue().trim());
                } catch (NumberFormatException e) {
                    throw bad(s, "a number");
                }
            }
            throw bad(s, "a number");
        }

        long integer(RowSetting s, long min, long max) {
            JsonNode v = row.get(s.key());
            BigDecimal d;
            try {
                if (v.isNumber()) d = v.decimalValue();
                else if (v.isTextual()) d = new BigDecimal(v.textValue().trim());
                else throw bad(s, "a whole number");
            } catch (NumberFormatException e) {
                throw bad(s, "a whole number");
            }
            try {
                long l = d.longValueExact();
                if (l < min || l > max) throw bad(s, "a whole number from " + min + " to " + max);
                return l;
            } catch (ArithmeticException e) {
                throw bad(s, "a whole number from " + min + " to " + max);
            }
        }

        List<String> strings(RowSetting s) {
            JsonNode v = row.get(s.key());
            List<String> out = new ArrayList<>();
            for (JsonNode item : v) {
                if (!item.isTextual() || item.textValue().isEmpty()) throw bad(s, "an array of non-empty strings");
                out.add(item.textValue());
            }
            return out;
        }

        List<String> stop() {
            JsonNode v = row.get(RowSetting.STOP.key());
            if (v.isTextual()) {
                if (v.textValue().isEmpty()) throw bad(RowSetting.STOP, "a non-empty stop string");
                return List.of(v.textValue());
            }
            if (v.isArray()) return strings(RowSetting.STOP);
            throw bad(RowSetting.STOP, "a string or an array of strings");
        }

        Constraint constraint() {
            int given = (has(RowSetting.RESPONSE_FORMAT) ? 1 : 0) + (has(RowSetting.REGEX) ? 1 : 0) + (has(RowSetting.CHOICE) ? 1 : 0);
            if (given > 1) {
                throw new IllegalArgumentException("the row has more than one of response_format, regex and choice; give at most one");
            }
            if (has(RowSetting.REGEX)) {
                JsonNode v = row.get(RowSetting.REGEX.key());
                if (!v.isTextual()) throw bad(RowSetting.REGEX, "a string");
                return Constraint.regex(v.textValue());
            }
            if (has(RowSetting.CHOICE)) {
                JsonNode v = row.get(RowSetting.CHOICE.key());
                if (v.isTextual()) v = parse(RowSetting.CHOICE, v.textValue());
                if (!v.isArray() || v.isEmpty()) throw bad(RowSetting.CHOICE, "a non-empty array of strings");
                List<String> choices = new ArrayList<>();
                for (JsonNode c : v) {
                    if (!c.isTextual()) throw bad(RowSetting.CHOICE, "an array of strings");
                    choices.add(c.textValue());
                }
                return Constraint.choice(choices);
            }
            JsonNode v = row.get(RowSetting.RESPONSE_FORMAT.key());
            if (v.isTextual()) v = parse(RowSetting.RESPONSE_FORMAT, v.textValue());
            if (!v.isObject() && !v.isBoolean()) throw bad(RowSetting.RESPONSE_FORMAT, "a JSON object");
            String type = v.path("type").asText("");
            if (type.equals("text")) return null; // the row asks for free text, whatever the call's constraint
            // a whole response_format as the CLI's lines give it, else the schema itself (as --json-schema takes it)
            if (type.equals("json_schema") || type.equals("json_object")) return Constraint.parse(v);
            return Constraint.jsonSchema(v);
        }

        JsonNode parse(RowSetting s, String text) {
            try {
                JsonNode n = JSON.readTree(text);
                if (n == null) throw bad(s, "JSON text");
                return n;
            } catch (IOException e) {
                throw bad(s, "JSON text");
            }
        }
    }

    private static String abbreviate(String s) { return s.length() > 120 ? s.substring(0, 120) + "..." : s; }
}
