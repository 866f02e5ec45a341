package io.hydragen.constrain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.model.JsonFiles;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates a bounded JSON Schema to a regular expression accepting JSON texts that validate against it (the
 * approach of Outlines' {@code build_regex_from_schema}).
 *
 * <p>Supported: {@code type} (one or a list), {@code object} with {@code properties} (emitted in the schema's order;
 * {@code required} ones always, the others optionally), {@code required}, {@code additionalProperties} (false, or
 * the value schema of a property-less object: a map with any string keys); {@code string} with
 * {@code minLength}/{@code maxLength}, {@code pattern} (matched whole, restricted to characters needing no JSON
 * escape), {@code format: uuid}; {@code integer}, {@code number} (with integer
 * {@code minimum}/{@code maximum}, inclusive or exclusive, of either sign); {@code boolean}; {@code null}; {@code array} with {@code items}, {@code minItems}, {@code maxItems};
 * {@code enum}, {@code const}; {@code anyOf}; {@code allOf} of one schema; {@code $ref} to {@code #/$defs/...} or
 * {@code #/definitions/...} without recursion; annotations ({@code title}, {@code description}, {@code default},
 * {@code examples}, ...) are ignored. A schema with no type is any JSON value, nested at most
 * {@link #JSON_OBJECT_DEPTH} containers deep.
 *
 * <p>Whitespace is limited as Outlines (and vLLM's Outlines backend) do: at most one space, {@link #WS}, around
 * structural characters, no newlines. Strings hold unescaped characters except {@code "}, {@code \} and controls,
 * and the escapes {@code \" \\ \/ \b \f \n \r \t} ({@code \\uXXXX} is never generated). Numbers have at most
 * {@link #MAX_DIGITS} digits before and after the point and 2 in the exponent (so a double holds it): JSON has no bound, but parsers do
 * (Jackson refuses numbers over 1000 characters) and a model with random weights otherwise writes thousands.
 *
 * <p>Everything else throws a {@link ConstraintException} naming the keyword: recursive {@code $ref} (cannot be
 * bounded), {@code oneOf} (its branches must exclude each other, which a regex does not check; use
 * {@code anyOf}), {@code not}, {@code if}, {@code patternProperties}, {@code prefixItems}, {@code uniqueItems: true},
 * other bounds of numbers, {@code multipleOf}, other formats, ...
 */
public final class JsonSchemaRegex {
    private JsonSchemaRegex() {}

    /** Whitespace allowed between structural tokens. */
    public static final String WS = "[ ]?";
    /** Containers nesting at most this deep in {@code json_object} and in untyped schemas (the outer object counts). */
    public static final int JSON_OBJECT_DEPTH = 3;

    static final String STRING_CHAR = "(?:[^\"\\\\\\x00-\\x1f]|\\\\[\"\\\\/bfnrt])";
    public static final String STRING = "\"" + STRING_CHAR + "*\"";
    /** Most digits of a number's integer part and of its fraction (see the class comment). */
    public static final int MAX_DIGITS = 16;
    static final String NATURAL = "(?:0|[1-9][0-9]{0," + (MAX_DIGITS - 1) + "})";
    /** The largest integer of {@link #MAX_DIGITS} digits. */
    static final long MAX_INTEGER = 9_999_999_999_999_999L;
    public static final String INTEGER = "-?" + NATURAL;
    static final String FRACTION_EXPONENT = "(?:\\.[0-9]{1," + MAX_DIGITS + "})?(?:[eE][+-]?[0-9]{1,2})?";
    public static final String NUMBER = INTEGER + FRACTION_EXPONENT;
    public static final String BOOLEAN = "(?:true|false)";
    public static final String NULL = "null";
    static final String UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

    /** Characters a generated string holds unescaped: the pattern of a string is restricted to these. */
    static final CodePoints UNESCAPED = CodePoints.of(0x20, CodePoints.MAX).minus(CodePoints.chars("\"\\"));

    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "$id", "$comment", "default",
            "examples", "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "$anchor", "contentMediaType",
            "contentEncoding");
    private static final Set<String> KEYWORDS = Set.of("type", "properties", "required", "additionalProperties", "items",
            "minItems", "maxItems", "minLength", "maxLength", "pattern", "format", "enum", "const", "anyOf", "allOf", "$ref",
            "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "uniqueItems");

    /** The regex of a schema (an object, or {@code true}). */
    public static String translate(JsonNode schema) {
        return new Translator(schema).value(schema, "#", 0);
    }

    /** Any JSON object whose containers nest at most {@code depth} deep (1: values are scalars). */
    public static String anyObject(int depth) { return object(anyValue(depth - 1)); }

    /** Any JSON value; containers nest at most {@code depth} deep (0: scalars only). */
    public static String anyValue(int depth) {
        String scalars = STRING + "|" + NUMBER + "|" + BOOLEAN + "|" + NULL;
        if (depth <= 0) return "(?:" + scalars + ")";
        String inner = anyValue(depth - 1);
        return "(?:" + scalars + "|" + object(inner) + "|" + array(inner, 0, -1) + ")";
    }

    private static String object(String value) {
        String member = STRING + WS + ":" + WS + value;
        return "\\{" + WS + "(?:" + member + "(?:" + WS + "," + WS + member + ")*)?" + WS + "\\}";
    }

    private static String array(String item, int min, int max) {
        String sep = WS + "," + WS;
        String body;
        if (max == 0) {
            body = "";
        } else if (min == 0) {
            body = "(?:" + item + "(?:" + sep + item + ")" + bound(0, max < 0 ? -1 : max - 1) + ")?";
        } else {
            body = item + "(?:" + sep + item + ")" + bound(min - 1, max < 0 ? -1 : max - 1);
        }
        return "\\[" + WS + body + WS + "\\]";
    }

    private static String bound(int min, int max) {
        if (max < 0) return min == 0 ? "*" : "{" + min + ",}";
        return min == max ? "{" + min + "}" : "{" + min + "," + max + "}";
    }

    /** A literal, regex-escaped. */
    static String literal(String s) { return RegexSyntax.print(RegexSyntax.literal(s)); }

    private static String jsonText(JsonNode n) {
        try {
            return JsonFiles.MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class Translator {
        final JsonNode root;
        final Set<String> expanding = new HashSet<>();

        Translator(JsonNode root) { this.root = root; }

        ConstraintException error(String path, String keyword, String why) {
            return new ConstraintException("JSON schema at " + path + ": keyword '" + keyword + "' " + why);
        }

        String value(JsonNode s, String path, int depth) {
            if (s.isBoolean()) {
                if (s.asBoolean()) return anyValue(Math.max(0, JSON_OBJECT_DEPTH - 1 - depth));
                throw error(path, "false", "(the false schema) accepts nothing");
            }
            if (!s.isObject()) throw new ConstraintException("JSON schema at " + path + ": a schema must be an object or a boolean");
            for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!KEYWORDS.contains(k) && !ANNOTATIONS.contains(k)) throw error(path, k, "is not supported");
            }
            if (s.has("$ref")) return ref(s, path, depth);
            if (s.has("allOf")) {
                JsonNode all = s.get("allOf");
                if (!all.isArray() || all.size() != 1 || others(s, "allOf")) throw error(path, "allOf", "is supported only with a single schema and nothing beside it");
                return value(all.get(0), path + "/allOf/0", depth);
            }
            if (s.has("const")) return literal(jsonText(s.get("const")));
            if (s.has("enum")) {
                JsonNode e = s.get("enum");
                if (!e.isArray() || e.isEmpty()) throw error(path, "enum", "must be a non-empty list");
                List<String> alts = new ArrayList<>();
                for (JsonNode v : e) alts.add(literal(jsonText(v)));
                return "(?:" + String.join("|", alts) + ")";
            }
            if (s.has("anyOf")) {
                JsonNode any = s.get("anyOf");
                if (!any.isArray() || any.isEmpty()) throw error(path, "anyOf", "must be a non-empty list");
                if (others(s, "anyOf")) throw error(path, "anyOf", "is supported only with nothing beside it (move the other keywords into each branch)");
                List<String> alts = new ArrayList<>();
                for (int i = 0; i < any.size(); i++) alts.add(value(any.get(i), path + "/anyOf/" + i, depth));
                return "(?:" + String.join("|", alts) + ")";
            }
            JsonNode type = s.get("type");
            if (type != null && type.isArray()) {
                List<String> alts = new ArrayList<>();
                for (JsonNode t : type) alts.add(typed(s, t.asText(), path, depth));
                if (alts.isEmpty()) throw error(path, "type", "is an empty list");
                return "(?:" + String.join("|", alts) + ")";
            }
            if (type != null) return typed(s, type.asText(), path, depth);
            if (s.has("properties") || s.has("required") || s.has("additionalProperties")) return typed(s, "object", path, depth);
            if (s.has("items") || s.has("minItems") || s.has("maxItems")) return typed(s, "array", path, depth);
            if (s.has("pattern") || s.has("minLength") || s.has("maxLength") || s.has("format")) return typed(s, "string", path, depth);
            if (s.has("minimum") || s.has("exclusiveMinimum")) return typed(s, "number", path, depth);
            return anyValue(Math.max(0, JSON_OBJECT_DEPTH - 1 - depth));
        }

        boolean others(JsonNode s, String keyword) {
            for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!k.equals(keyword) && !ANNOTATIONS.contains(k)) return true;
            }
            return false;
        }

        String ref(JsonNode s, String path, int depth) {
            String ref = s.get("$ref").asText();
            if (others(s, "$ref")) throw error(path, "$ref", "is supported only with nothing beside it");
            JsonNode target;
            if (ref.startsWith("#/$defs/") || ref.startsWith("#/definitions/")) {
                target = root.at(ref.substring(1));
            } else if (ref.equals("#")) {
                target = root;
            } else {
                throw error(path, "$ref", "\"" + ref + "\" is not a reference to #/$defs or #/definitions");
            }
            if (target == null || target.isMissingNode()) throw error(path, "$ref", "\"" + ref + "\" points nowhere");
            if (!expanding.add(ref)) {
                throw error(path, "$ref", "\"" + ref + "\" is recursive: the schema has no bound and cannot be compiled to a regex");
            }
            try {
                return value(target, ref, depth);
            } finally {
                expanding.remove(ref);
            }
        }

        String typed(JsonNode s, String type, String path, int depth) {
            switch (type) {
                case "object": return objectOf(s, path, depth);
                case "array": return arrayOf(s, path, depth);
                case "string": return stringOf(s, path);
                case "integer": return numberOf(s, path, true);
                case "number": return numberOf(s, path, false);
                case "boolean": return BOOLEAN;
                case "null": return NULL;
                default: throw error(path, "type", "\"" + type + "\" is not a JSON Schema type");
            }
        }

        String objectOf(JsonNode s, String path, int depth) {
            JsonNode props = s.get("properties");
            JsonNode extra = s.get("additionalProperties");
            Set<String> required = new HashSet<>();
            if (s.has("required")) {
                if (!s.get("required").isArray()) throw error(path, "required", "must be a list");
                for (JsonNode r : s.get("required")) required.add(r.asText());
            }
            if (props == null || props.isEmpty()) {
                if (!required.isEmpty()) throw error(path, "required", "names properties that 'properties' does not define");
                if (extra != null && extra.isBoolean() && !extra.asBoolean()) return "\\{" + WS + "\\}";
                String valueRegex = extra == null || (extra.isBoolean() && extra.asBoolean())
                        ? anyValue(Math.max(0, JSON_OBJECT_DEPTH - 2 - depth))
                        : value(extra, path + "/additionalProperties", depth + 1);
                return object(valueRegex);
            }
            if (!props.isObject()) throw error(path, "properties", "must be an object");
            Map<String, String> values = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                values.put(e.getKey(), value(e.getValue(), path + "/properties/" + e.getKey(), depth + 1));
            }
            for (String r : required) {
                if (!values.containsKey(r)) throw error(path, "required", "names \"" + r + "\", which 'properties' does not define");
            }
            List<String> names = new ArrayList<>(values.keySet());
            return "\\{" + WS + members(names, values, required, 0, true) + WS + "\\}";
        }

        /** Properties i.. in order, with commas between the present ones; {@code first}: none present yet. */
        String members(List<String> names, Map<String, String> values, Set<String> required, int i, boolean first) {
            if (i == names.size()) return "";
            String name = names.get(i);
            String member = literal(jsonText(JsonFiles.MAPPER.getNodeFactory().textNode(name))) + WS + ":" + WS + values.get(name);
            String item = (first ? "" : WS + "," + WS) + member;
            if (required.contains(name)) return item + members(names, values, required, i + 1, false);
            if (!first) return "(?:" + item + ")?" + members(names, values, required, i + 1, false);
            String rest = members(names, values, required, i + 1, true);
            return "(?:" + item + members(names, values, required, i + 1, false) + (rest.isEmpty() ? ")?" : "|" + rest + ")");
        }

        String arrayOf(JsonNode s, String path, int depth) {
            if (s.has("uniqueItems") && s.get("uniqueItems").asBoolean()) throw error(path, "uniqueItems", "true is not supported");
            int min = nonNegative(s, "minItems", path, 0);
            int max = nonNegative(s, "maxItems", path, -1);
            if (max >= 0 && max < min) throw error(path, "maxItems", "is below minItems");
            if (Math.max(min, max) > RegexSyntax.MAX_REPEAT) throw error(path, "maxItems", "is over " + RegexSyntax.MAX_REPEAT);
            JsonNode items = s.get("items");
            String item = items == null ? anyValue(Math.max(0, JSON_OBJECT_DEPTH - 2 - depth)) : value(items, path + "/items", depth + 1);
            return array(item, min, max);
        }

        String stringOf(JsonNode s, String path) {
            int min = nonNegative(s, "minLength", path, 0);
            int max = nonNegative(s, "maxLength", path, -1);
            if (max >= 0 && max < min) throw error(path, "maxLength", "is below minLength");
            if (Math.max(min, max) > RegexSyntax.MAX_REPEAT) throw error(path, "maxLength", "is over " + RegexSyntax.MAX_REPEAT);
            boolean lengths = s.has("minLength") || s.has("maxLength");
            if (s.has("format")) {
                String f = s.get("format").asText();
                if (!f.equals("uuid")) throw error(path, "format", "\"" + f + "\" is not supported (only uuid)");
                if (lengths || s.has("pattern")) throw error(path, "format", "is supported only without pattern/minLength/maxLength");
                return "\"" + UUID + "\"";
            }
            if (s.has("pattern")) {
                if (lengths) throw error(path, "pattern", "together with minLength/maxLength is not supported");
                String p = s.get("pattern").asText();
                RegexSyntax.Node n;
                try {
                    n = RegexSyntax.parse(p);
                } catch (ConstraintException e) {
                    throw error(path, "pattern", "cannot be compiled: " + e.getMessage());
                }
                return "\"(?:" + RegexSyntax.print(RegexSyntax.mapChars(n, set -> set.intersect(UNESCAPED))) + ")\"";
            }
            if (!lengths) return STRING;
            return "\"" + STRING_CHAR + bound(min, max) + "\"";
        }

        String numberOf(JsonNode s, String path, boolean integer) {
            boolean bounded = s.has("minimum") || s.has("maximum") || s.has("exclusiveMinimum") || s.has("exclusiveMaximum");
            if (!bounded) return integer ? INTEGER : NUMBER;
            for (String k : new String[] {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}) {
                if (s.has(k) && !s.get(k).isNumber()) throw error(path, k, "must be a number");
            }
            if (integer) {
                long lo = -MAX_INTEGER, hi = MAX_INTEGER;
                if (s.has("minimum")) lo = Math.max(lo, ceil(s.get("minimum").decimalValue()));
                if (s.has("exclusiveMinimum")) lo = Math.max(lo, floor(s.get("exclusiveMinimum").decimalValue()) + 1);
                if (s.has("maximum")) hi = Math.min(hi, floor(s.get("maximum").decimalValue()));
                if (s.has("exclusiveMaximum")) hi = Math.min(hi, ceil(s.get("exclusiveMaximum").decimalValue()) - 1);
                if (lo > hi) throw error(path, s.has("maximum") ? "maximum" : "exclusiveMaximum", "leaves no integer above the minimum");
                return IntegerRanges.regex(lo, hi);
            }
            // numbers: integer bounds of either sign, inclusive or exclusive; no exponent once bounded
            java.math.BigDecimal lo = null, hi = null;
            boolean openLo = false, openHi = false;
            for (String k : new String[] {"minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"}) {
                if (!s.has(k)) continue;
                java.math.BigDecimal v = s.get(k).decimalValue();
                if (!isIntegral(v)) throw error(path, k, "of a number is supported only as an integer (" + v.toPlainString() + " is not)");
                if (v.abs().compareTo(java.math.BigDecimal.valueOf(MAX_INTEGER)) > 0) throw error(path, k, "is beyond " + MAX_DIGITS + " digits");
                boolean open = k.startsWith("exclusive");
                if (k.endsWith("inimum") && (lo == null || v.compareTo(lo) > 0 || (v.compareTo(lo) == 0 && open))) { lo = v; openLo = open; }
                if (k.endsWith("aximum") && (hi == null || v.compareTo(hi) < 0 || (v.compareTo(hi) == 0 && open))) { hi = v; openHi = open; }
            }
            String range = NumberRanges.regex(lo == null ? null : lo.longValueExact(), openLo,
                    hi == null ? null : hi.longValueExact(), openHi, MAX_INTEGER, MAX_DIGITS);
            if (range == null) throw error(path, s.has("maximum") ? "maximum" : "exclusiveMaximum", "leaves no number above the minimum");
            return range;
        }

        boolean isIntegral(java.math.BigDecimal d) { return d.stripTrailingZeros().scale() <= 0; }

        long ceil(java.math.BigDecimal d) { return clamp(d.setScale(0, java.math.RoundingMode.CEILING)); }

        long floor(java.math.BigDecimal d) { return clamp(d.setScale(0, java.math.RoundingMode.FLOOR)); }

        long clamp(java.math.BigDecimal d) {
            if (d.compareTo(java.math.BigDecimal.valueOf(MAX_INTEGER)) > 0) return MAX_INTEGER + 1;
            if (d.compareTo(java.math.BigDecimal.valueOf(-MAX_INTEGER)) < 0) return -MAX_INTEGER - 1;
            return d.longValueExact();
        }

        int nonNegative(JsonNode s, String keyword, String path, int absent) {
            if (!s.has(keyword)) return absent;
            JsonNode n = s.get(keyword);
            if (!n.canConvertToInt() || n.asInt() < 0) throw error(path, keyword, "must be a non-negative integer");
            return n.asInt();
        }
    }
}
