package io.hydragen.spark.exec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.chat.ChatMessage;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.List;

import static org.apache.spark.sql.functions.*;

/**
 * Chat input in Spark: a row's conversation travels through routing as JSON text,
 * {@code [{"role":"...","content":"..."},...]}, in the working prompt column. Its system prompt and few-shot turns
 * come first, so rows sharing them share a prefix of that text: the automatic routing key (its first
 * {@code routing_prefix_chars} characters), the sort and the seeds work on it as on prompts. The executor parses it
 * back ({@link #parse}) and the engine renders it with the chat template.
 */
public final class ChatRows {
    private ChatRows() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The messages column as JSON text: an {@code array<struct<role, content>>} (other struct fields are left out), or
     * a string column that holds such JSON already.
     */
    public static Column asJson(Dataset<Row> input, String column) {
        Column c = input.col("`" + column.replace("`", "``") + "`");
        DataType t = input.schema().apply(input.schema().fieldIndex(fieldName(input.schema(), column))).dataType();
        if (t instanceof StringType) return Utf8Prompts.validOrNull(c);
        if (t instanceof ArrayType a && a.elementType() instanceof StructType s && hasField(s, "role") && hasField(s, "content")) {
            return to_json(transform(c, m -> struct(m.getField("role").cast("string").as("role"),
                    m.getField("content").cast("string").as("content"))));
        }
        throw new IllegalArgumentException("messages column '" + column + "' must be array<struct<role: string, content: string>> "
                + "(or a string of JSON [{\"role\": ..., \"content\": ...}, ...]), got " + t.simpleString());
    }

    private static String fieldName(StructType s, String name) {
        for (String f : s.fieldNames()) if (f.equals(name)) return f;
        for (String f : s.fieldNames()) if (f.equalsIgnoreCase(name)) return f;
        return name;
    }

    private static boolean hasField(StructType s, String name) {
        for (StructField f : s.fields()) if (f.name().equalsIgnoreCase(name)) return true;
        return false;
    }

    /**
     * A row's conversation from its JSON text.
     *
     * @throws IllegalArgumentException naming what is wrong (that row's error)
     */
    public static List<ChatMessage> parse(String json) {
        if (json == null) throw new IllegalArgumentException("messages is null");
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException("messages is not valid JSON");
        }
        if (node == null || !node.isArray()) throw new IllegalArgumentException("messages must be an array of {role, content}");
        if (node.isEmpty()) throw new IllegalArgumentException("messages is empty");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode m = node.get(i);
            if (m == null || !m.isObject()) throw new IllegalArgumentException("messages[" + i + "] is null or not a {role, content} struct");
            for (String field : List.of("role", "content")) {
                JsonNode v = m.get(field);
                if (v == null || v.isNull()) throw new IllegalArgumentException("messages[" + i + "] has no " + field);
                if (!v.isTextual()) throw new IllegalArgumentException("messages[" + i + "]: " + field + " must be a string");
            }
            out.add(new ChatMessage(m.get("role").textValue(), m.get("content").textValue()));
        }
        return out;
    }
}
