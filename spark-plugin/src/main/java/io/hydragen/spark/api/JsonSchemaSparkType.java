package io.hydragen.spark.api;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Spark type of the documents a JSON schema accepts, for the {@code parsed} column ({@code from_json} of a
 * completion). Every field is nullable: an optional property may be absent.
 *
 * <ul>
 *   <li>{@code object} with {@code properties} → struct, fields in the schema's order; an object without
 *       {@code properties} → {@code map<string, string>} (each value as its JSON text)</li>
 *   <li>{@code array} → array of its {@code items}' type ({@code array<string>} without {@code items})</li>
 *   <li>{@code string} → string, {@code integer} → long, {@code number} → double, {@code boolean} → boolean,
 *       {@code null} → string (always null)</li>
 *   <li>{@code enum} and {@code const} → string, whatever the values (a number is then its JSON text)</li>
 *   <li>{@code anyOf} / {@code oneOf} / a list of types: {@code null} branches are dropped; the branches' common type
 *       if they have one (integer with number → double), else string holding the value's JSON text</li>
 *   <li>{@code $ref} to {@code #/$defs/...} or {@code #/definitions/...} → the referenced schema's type; a recursive
 *       reference (which the engine cannot constrain anyway) → string. No type at all, {@code true} → string.</li>
 * </ul>
 * String is the fallback because Spark's JSON reader puts any value's JSON text into a string field.
 */
public final class JsonSchemaSparkType {
    private final JsonNode root;
    private final Set<String> resolving = new HashSet<>();

    private JsonSchemaSparkType(JsonNode root) { this.root = root; }

    /** The type of the documents {@code schema} accepts. */
    public static DataType of(JsonNode schema) { return new JsonSchemaSparkType(schema).type(schema); }

    /** Whether {@code from_json} can produce this type: a struct, an array or a map at the top. */
    public static boolean parsable(DataType t) { return t instanceof StructType || t instanceof ArrayType || t instanceof MapType; }

    private DataType type(JsonNode s) {
        if (s == null || !s.isObject()) return DataTypes.StringType;
        if (s.hasNonNull("$ref")) return ref(s.get("$ref").asText());
        if (s.has("enum") || s.has("const")) return DataTypes.StringType;
        for (String union : List.of("anyOf", "oneOf")) {
            if (s.path(union).isArray()) {
                List<DataType> branches = new ArrayList<>();
                for (JsonNode b : s.get(union)) if (!isNull(b)) branches.add(type(b));
                return common(branches);
            }
        }
        JsonNode t = s.get("type");
        if (t != null && t.isArray()) {
            List<DataType> branches = new ArrayList<>();
            for (JsonNode name : t) if (!name.asText().equals("null")) branches.add(named(name.asText(), s));
            return common(branches);
        }
        if (t != null) return named(t.asText(), s);
        if (s.has("properties")) return named("object", s);
        if (s.has("items")) return named("array", s);
        return DataTypes.StringType;
    }

    private DataType named(String type, JsonNode s) {
        return switch (type) {
            case "object" -> object(s);
            case "array" -> DataTypes.createArrayType(s.has("items") ? type(s.get("items")) : DataTypes.StringType, true);
            case "integer" -> DataTypes.LongType;
            case "number" -> DataTypes.DoubleType;
            case "boolean" -> DataTypes.BooleanType;
            default -> DataTypes.StringType; // string, null, and anything else
        };
    }

    private DataType object(JsonNode s) {
        JsonNode props = s.get("properties");
        if (props == null || !props.isObject() || props.isEmpty()) {
            return DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType, true);
        }
        List<StructField> fields = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            fields.add(DataTypes.createStructField(p.getKey(), type(p.getValue()), true));
        }
        return DataTypes.createStructType(fields);
    }

    private DataType ref(String ref) {
        JsonNode target = ref.startsWith("#") ? root.at(ref.substring(1)) : null;
        if (target == null || target.isMissingNode() || !resolving.add(ref)) return DataTypes.StringType;
        try {
            return type(target);
        } finally {
            resolving.remove(ref);
        }
    }

    private static boolean isNull(JsonNode branch) {
        return branch.isObject() && branch.path("type").asText("").equals("null") && branch.size() == 1;
    }

    /** One type for several branches: their common type, integer widened to number, else string. */
    private static DataType common(List<DataType> branches) {
        Set<DataType> distinct = new LinkedHashSet<>(branches);
        if (distinct.size() == 1) return distinct.iterator().next();
        if (distinct.equals(Set.of(DataTypes.LongType, DataTypes.DoubleType))) return DataTypes.DoubleType;
        return DataTypes.StringType;
    }
}
