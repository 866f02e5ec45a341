package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.Size;

/**
 * Property-based fuzzing of prompt files: any bytes give rows (never an exception), every row is either a usable
 * prompt or a one-line error naming its line, and a good line among bad ones is read exactly as it was written.
 */
class PromptFileFuzzTest {
    static final ObjectMapper JSON = GenerateCommand.jsonMapper();

    static List<PromptRow> read(byte[] bytes) throws IOException {
        return new PromptFile(JSON).read(new ByteArrayInputStream(bytes));
    }

    static void wellFormed(List<PromptRow> rows) {
        int last = -1;
        for (PromptRow r : rows) {
            assertTrue(r.line() > last, "rows in line order");
            last = r.line();
            assertNotNull(r.id());
            if (r.ok()) {
                assertNotNull(r.prompt());
                assertFalse(r.prompt().isEmpty());
            } else {
                assertFalse(r.error().isBlank());
                assertEquals(1, r.error().lines().count(), r.error());
                assertTrue(r.error().startsWith("line " + (r.line() + 1) + " ") || r.error().startsWith("line " + (r.line() + 1) + ":"), r.error());
            }
        }
    }

    @Property(tries = 200, shrinking = ShrinkingMode.OFF)
    void anyBytesGiveWellFormedRows(@ForAll @Size(max = 600) byte[] bytes) throws IOException {
        wellFormed(read(bytes));
    }

    static final String[] BAD = {"{", "{\"prompt\": }", "[1,2]", "null", "\"just a string\"", "{\"prompt\": 5}", "{\"prompt\": \"\"}",
            "{\"id\": [1], \"prompt\": \"x\"}", "{\"prompt\": \"a\"} {\"prompt\": \"b\"}", "{\"prompt\": \"\\ud800\"}", "{\"prompt\": \"x\", }",
            "{\"id\": 1e999999, \"prompt\": \"big id\"}", "{\"prompt\": \"" + "[".repeat(5) + "\"}", "[".repeat(3000), "{\"prompt\": \"x\\q\"}"};

    /** Good lines (kept), bad JSON, invalid UTF-8 and blank lines, mixed; the good ones come back exactly, once each. */
    @Property(tries = 200, shrinking = ShrinkingMode.OFF)
    void goodLinesAmongBadOnesAreReadExactly(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        List<Integer> goodLines = new ArrayList<>();
        List<String> goodPrompts = new ArrayList<>();
        int lines = 1 + r.nextInt(30);
        for (int line = 0; line < lines; line++) {
            int kind = r.nextInt(6);
            if (kind == 0) {
                String prompt = randomText(r);
                ObjectNode n = JSON.createObjectNode();
                if (r.nextBoolean()) n.put("id", "id" + line);
                n.put("prompt", prompt);
                file.writeBytes(n.toString().getBytes(StandardCharsets.UTF_8));
                goodLines.add(line);
                goodPrompts.add(prompt);
            } else if (kind == 1) {
                file.writeBytes(BAD[r.nextInt(BAD.length)].getBytes(StandardCharsets.UTF_8));
            } else if (kind == 2) {
                file.writeBytes("{\"prompt\": \"ab".getBytes(StandardCharsets.UTF_8));
                file.write(new int[] {0x80, 0xff, 0xc3, 0xe2, 0xf0, 0xed}[r.nextInt(6)]);
                file.writeBytes("\"}".getBytes(StandardCharsets.UTF_8));
            } else if (kind == 3) {
                file.writeBytes(new String[] {"", "  ", "\t"}[r.nextInt(3)].getBytes(StandardCharsets.UTF_8));
            } else {
                byte[] junk = new byte[r.nextInt(40)];
                r.nextBytes(junk);
                for (int i = 0; i < junk.length; i++) if (junk[i] == '\n' || junk[i] == '\r') junk[i] = 'x';
                file.writeBytes(junk);
            }
            if (line < lines - 1 || r.nextBoolean()) file.writeBytes((r.nextInt(4) == 0 ? "\r\n" : "\n").getBytes(StandardCharsets.UTF_8));
        }
        List<PromptRow> rows = read(file.toByteArray());
        wellFormed(rows);
        List<Integer> okLines = new ArrayList<>();
        List<String> okPrompts = new ArrayList<>();
        for (PromptRow row : rows) if (row.ok() && goodLines.contains(row.line())) { okLines.add(row.line()); okPrompts.add(row.prompt()); }
        assertEquals(goodLines, okLines);
        assertEquals(goodPrompts, okPrompts);
    }

    static String randomText(Random r) {
        String[] pieces = {"a", "Z", " ", "é", "€", "😀", "\\", "\"", "\t", "\u0001", "{", "}", "ok", "\u2028"};
        StringBuilder s = new StringBuilder();
        for (int i = 1 + r.nextInt(12); i > 0; i--) s.append(pieces[r.nextInt(pieces.length)]);
        return s.toString().isBlank() ? "x" + s : s.toString();
    }
}
