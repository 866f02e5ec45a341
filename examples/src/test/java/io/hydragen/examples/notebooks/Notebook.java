package io.hydragen.examples.notebooks;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Jupyter notebook (nbformat 4) as JSON: its cells' sources and saved outputs, and writing outputs back in the
 * layout Jupyter itself writes (one-space indent, sorted keys, text as lists of lines) so diffs stay small.
 */
final class Notebook {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode root;

    private Notebook(ObjectNode root) { this.root = root; }

    static Notebook read(Path file) throws IOException {
        JsonNode n = JSON.readTree(file.toFile());
        if (!(n instanceof ObjectNode o) || !o.path("cells").isArray() || o.path("nbformat").asInt() != 4) {
            throw new IOException(file + ": not an nbformat 4 notebook");
        }
        return new Notebook(o);
    }

    /** All cells in order. */
    List<ObjectNode> cells() {
        List<ObjectNode> out = new ArrayList<>();
        root.get("cells").forEach(c -> out.add((ObjectNode) c));
        return out;
    }

    static boolean isCode(ObjectNode cell) { return "code".equals(cell.path("cell_type").asText()); }

    static String source(ObjectNode cell) { return joined(cell.get("source")); }

    /** The kernel's name in the notebook's metadata. */
    String kernelName() { return root.path("metadata").path("kernelspec").path("name").asText(); }

    /** Text the cell printed to stdout, as saved. */
    static String savedStdout(ObjectNode cell) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode o : cell.path("outputs")) {
            if ("stream".equals(o.path("output_type").asText()) && "stdout".equals(o.path("name").asText())) sb.append(joined(o.get("text")));
        }
        return sb.toString();
    }

    /** The saved {@code text/plain} of the cell's trailing expression, or null. */
    static String savedResult(ObjectNode cell) {
        for (JsonNode o : cell.path("outputs")) {
            if ("execute_result".equals(o.path("output_type").asText())) return joined(o.path("data").get("text/plain"));
        }
        return null;
    }

    /** Output types saved in a cell (e.g. to find an {@code error}). */
    static List<String> outputTypes(ObjectNode cell) {
        List<String> out = new ArrayList<>();
        cell.path("outputs").forEach(o -> out.add(o.path("output_type").asText()));
        return out;
    }

    /** Replaces the cell's outputs with what a run produced. */
    static void setOutputs(ObjectNode cell, int executionCount, PyInterpreter.CellOutput out) {
        cell.put("execution_count", executionCount);
        ArrayNode outputs = cell.putArray("outputs");
        if (!out.stdout().isEmpty()) {
            ObjectNode s = outputs.addObject();
            s.put("name", "stdout");
            s.put("output_type", "stream");
            s.set("text", lines(out.stdout()));
        }
        if (out.result() != null) {
            ObjectNode r = outputs.addObject();
            r.putObject("data").set("text/plain", lines(out.result()));
            r.put("execution_count", executionCount);
            r.putObject("metadata");
            r.put("output_type", "execute_result");
        }
    }

    static void setSource(ObjectNode cell, String text) { cell.set("source", lines(text)); }

    /** Cells whose metadata has {@code tags} containing {@code tag}. */
    List<ObjectNode> tagged(String tag) {
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode c : cells()) {
            for (JsonNode t : c.path("metadata").path("tags")) if (tag.equals(t.asText())) out.add(c);
        }
        return out;
    }

    void write(Path file) throws IOException {
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter(" ", "\n"))
                .withArrayIndenter(new DefaultIndenter(" ", "\n"));
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.getFactory().createGenerator(w)) {
            g.setPrettyPrinter(pp);
            JSON.writeTree(g, sorted(root));
        }
        Files.writeString(file, w + "\n", StandardCharsets.UTF_8);
    }

    /** Jupyter sorts keys; Jackson keeps insertion order, so sort a copy. */
    private static JsonNode sorted(JsonNode n) {
        if (n instanceof ObjectNode o) {
            Map<String, JsonNode> m = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                m.put(e.getKey(), sorted(e.getValue()));
            }
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            m.forEach(copy::set);
            return copy;
        }
        if (n instanceof ArrayNode a) {
            ArrayNode copy = JsonNodeFactory.instance.arrayNode();
            a.forEach(x -> copy.add(sorted(x)));
            return copy;
        }
        return n;
    }

    /** nbformat's multiline strings: a list of lines, each keeping its newline. */
    private static ArrayNode lines(String text) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl + 1;
            a.add(text.substring(start, end));
            start = end;
        }
        return a;
    }

    private static String joined(JsonNode n) {
        if (n == null || n.isNull()) return "";
        if (n.isTextual()) return n.asText();
        StringBuilder sb = new StringBuilder();
        n.forEach(x -> sb.append(x.asText()));
        return sb.toString();
    }
}
