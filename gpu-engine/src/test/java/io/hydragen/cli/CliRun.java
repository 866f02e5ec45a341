package io.hydragen.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One in-process run of {@link Main}: its exit code and what it printed. */
record CliRun(int exitCode, String out, String err) {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A prompts-file line {@code {"id": id, "prompt": prompt}}, leaving out what is null. */
    static String promptLine(Object id, Object prompt) {
        com.fasterxml.jackson.databind.node.ObjectNode n = JSON.createObjectNode();
        if (id != null) n.putPOJO("id", id);
        if (prompt != null) n.putPOJO("prompt", prompt);
        return n.toString();
    }

    static CliRun run(String... args) { return runWithStdin("", args); }

    static CliRun runWithStdin(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    List<String> errLines() { return err.lines().toList(); }

    static List<JsonNode> jsonLines(String text) {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : text.lines().toList()) {
            try {
                rows.add(JSON.readTree(line));
            } catch (IOException e) {
                throw new UncheckedIOException("not a JSON line: " + line, e);
            }
        }
        return rows;
    }

    static List<JsonNode> jsonLines(Path file) throws IOException {
        return jsonLines(Files.readString(file));
    }

    static int[] ints(JsonNode array) {
        int[] r = new int[array.size()];
        for (int i = 0; i < r.length; i++) r[i] = array.get(i).asInt();
        return r;
    }
}
