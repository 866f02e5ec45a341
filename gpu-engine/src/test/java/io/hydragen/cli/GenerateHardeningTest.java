package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hydragen.model.SyntheticModels;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input bytes and lines, escaped stop strings, and an output path nobody can redirect. */
class GenerateHardeningTest {
    private static final String MODEL = "synthetic:tiny";
    private static final String STORY = "Once upon a time a small fox lived at the edge of a quiet forest. ";

    @TempDir
    Path dir;

    private List<JsonNode> generate(Path in, String... extra) throws IOException {
        Path out = dir.resolve(in.getFileName() + ".out");
        List<String> args = new ArrayList<>(List.of("generate", "--model", MODEL, "--input", in.toString(), "--output", out.toString(),
                "--max-new-tokens", "6", "--ignore-eos", "--min-shared-tokens", "4", "--threads", "1", "--quiet"));
        args.addAll(List.of(extra));
        CliRun r = CliRun.run(args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        return CliRun.jsonLines(out);
    }

    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    @Test
    void nonUtf8LineIsAnErrorRowNamingLineAndByte() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(utf8(CliRun.promptLine("a", STORY + "One?") + "\n"));
        b.writeBytes(utf8("\n"));
        b.writeBytes(utf8("{\"prompt\": \"caf")); // 15 bytes, then a bad byte at offset 15
        b.write(0xff);
        b.writeBytes(utf8("\"}\r\n"));
        b.writeBytes(utf8("{\"id\": \"trunc\", \"prompt\": \"x"));
        b.write(0xE2); // a three-byte character cut short
        b.write(0x82);
        b.writeBytes(utf8("\"}\n"));
        b.writeBytes(utf8(CliRun.promptLine("z", STORY + "Two, é€😀?"))); // valid multi-byte text, no final newline
        Path in = dir.resolve("bytes.jsonl");
        Files.write(in, b.toByteArray());
        List<JsonNode> rows = generate(in);
        assertEquals(4, rows.size());
        assertEquals("a", rows.get(0).get("id").asText());
        assertEquals("length", rows.get(0).get("finish_reason").asText());
        assertEquals(2, rows.get(1).get("id").asInt(), "the id of an undecodable line is its line number");
        assertEquals("error", rows.get(1).get("finish_reason").asText());
        assertEquals("line 3 is not valid UTF-8 (byte 0xff at offset 15)", rows.get(1).get("error").asText());
        assertEquals("line 4 is not valid UTF-8 (byte 0xe2 at offset 28)", rows.get(2).get("error").asText());
        assertEquals("z", rows.get(3).get("id").asText());
        assertEquals("length", rows.get(3).get("finish_reason").asText());
        assertTrue(CliRun.ints(rows.get(3).get("prompt_token_ids")).length == utf8(STORY + "Two, é€😀?").length + 1);
    }

    @Test
    void badRowsAreErrorsAndGoodRowsAreAnsweredOnceAsIfAlone() throws IOException {
        int context = SyntheticModels.config("tiny").maxPositionEmbeddings();
        List<String> good = List.of(STORY + "Where?", STORY + "When?", "Another prompt entirely.");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(utf8(CliRun.promptLine("g0", good.get(0)) + "\n"));
        b.writeBytes(utf8(CliRun.promptLine("empty", "") + "\n"));
        b.writeBytes(utf8("{\"id\": \"latin1\", \"prompt\": \"na"));
        b.write(0xEF); // "naïve" in Latin-1: 0xEF then 'v' is not UTF-8
        b.writeBytes(utf8("ve\"}\n"));
        b.writeBytes(utf8(CliRun.promptLine("g1", good.get(1)) + "\n"));
        b.writeBytes(utf8("{\"id\": \"broken\", \"prompt\": \n"));
        b.writeBytes(utf8(CliRun.promptLine("trailing", "ok") + " {}\n"));
        b.writeBytes(utf8(CliRun.promptLine("long", "x".repeat(context + 5)) + "\n"));
        b.writeBytes(utf8("[1, 2]\n"));
        b.writeBytes(utf8(CliRun.promptLine("g2", good.get(2)) + "\n"));
        Path in = dir.resolve("mixed.jsonl");
        Files.write(in, b.toByteArray());
        List<JsonNode> rows = generate(in);
        List<String> ids = new ArrayList<>();
        for (JsonNode r : rows) ids.add(r.get("id").asText());
        assertEquals(List.of("g0", "empty", "2", "g1", "4", "5", "long", "7", "g2"), ids, "one row per non-blank line, in order");
        for (JsonNode r : rows) {
            boolean isGood = r.get("id").asText().startsWith("g");
            assertEquals(isGood ? "length" : "error", r.get("finish_reason").asText(), r.toString());
            if (!isGood) assertFalse(r.get("error").asText().isBlank());
        }
        assertEquals("line 2: empty prompt", rows.get(1).get("error").asText());
        assertEquals("line 3 is not valid UTF-8 (byte 0xef at offset 30)", rows.get(2).get("error").asText());
        assertTrue(rows.get(4).get("error").asText().startsWith("line 5 is not valid JSON: "), rows.get(4).toString());
        assertTrue(rows.get(5).get("error").asText().startsWith("line 6 is not valid JSON: "), rows.get(5).toString());
        assertTrue(rows.get(6).get("error").asText().contains("context is " + context + " tokens"), rows.get(6).toString());
        assertTrue(rows.get(7).get("error").asText().startsWith("line 8: expected a JSON object"), rows.get(7).toString());
        for (int i = 0; i < good.size(); i++) {
            Path alone = dir.resolve("alone" + i + ".jsonl");
            Files.write(alone, List.of(CliRun.promptLine("g" + i, good.get(i))));
            JsonNode want = generate(alone).get(0);
            JsonNode got = rows.get(ids.indexOf("g" + i));
            assertEquals(want.get("completion_token_ids"), got.get("completion_token_ids"), "g" + i);
            assertEquals(want.get("completion"), got.get("completion"), "g" + i);
        }
    }

    @Test
    void stopStringsAreUnescapedAndMayHoldCommas() throws IOException {
        Path in = dir.resolve("p.jsonl");
        Files.write(in, List.of(CliRun.promptLine("s", STORY)));
        String full = generate(in).get(0).get("completion").asText();
        java.util.regex.Matcher word = java.util.regex.Pattern.compile("[a-z]{3,}").matcher(full);
        assertTrue(word.find(), "no word to stop at in: " + full);
        String w = word.group();
        // the word with its first letter written as a \\u escape: unescaped, it cuts right before the word
        String escaped = String.format("\\u%04x", (int) w.charAt(0)) + w.substring(1);
        JsonNode cut = generate(in, "--stop", escaped).get(0);
        assertEquals("stop", cut.get("finish_reason").asText());
        assertEquals(full.substring(0, full.indexOf(w)), cut.get("completion").asText());
        // a comma is part of the string, not a separator: "nothing,WORD" never occurs, so nothing is cut
        JsonNode kept = generate(in, "--stop", "nothing," + w).get(0);
        assertEquals("length", kept.get("finish_reason").asText());
        assertEquals(full, kept.get("completion").asText());
        // repeatable
        JsonNode two = generate(in, "--stop", "nothing,", "--stop", w).get(0);
        assertEquals("stop", two.get("finish_reason").asText());
    }

    @Test
    void escapes() {
        assertEquals("\n\n", Escapes.unescape("--stop", "\\n\\n"));
        assertEquals("a\tb\\c\"d'e\r", Escapes.unescape("--stop", "a\\tb\\\\c\\\"d\\'e\\r"));
        assertEquals("é,x", Escapes.unescape("--stop", "\\u00e9,x"));
        assertEquals("plain, text", Escapes.unescape("--stop", "plain, text"));
        assertEquals("\\n", Escapes.unescape("--stop", "\\\\n"));
        for (String bad : List.of("\\", "a\\x", "\\u12", "\\u12g4")) {
            UsageException e = assertThrows(UsageException.class, () -> Escapes.unescape("--stop", bad));
            assertTrue(e.getMessage().startsWith("--stop " + bad + ": "), e.getMessage());
        }
        Path in = dir.resolve("p.jsonl");
        CliRun r = CliRun.run("generate", "--model", MODEL, "--input", in.toString(), "--output", "-", "--stop", "\\q");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("unknown escape \\q"), r.err());
    }

    @Test
    void helpDocumentsTheEscapes() {
        CliRun r = CliRun.run("generate", "--help");
        assertTrue(r.out().contains("\\n newline"), r.out());
        assertTrue(r.out().contains("--stop \"\\n\\n\""), r.out());
    }

    @Test
    void nanWeightsGiveAnErrorRowOnlyForTheRowThatReadsThem() throws IOException {
        Path m = dir.resolve("nan-model");
        try (io.hydragen.model.Model clean = io.hydragen.model.ModelLoader.load(MODEL)) {
            // a checkpoint whose embedding row of 'Z' is NaN
            io.hydragen.model.ModelExporter.saveHuggingFace(io.hydragen.generate.NonFiniteLogitsTest.poisoned(clean, Float.NaN), m,
                    io.hydragen.model.DType.F32);
        }
        Path in = dir.resolve("nan.jsonl");
        Files.write(in, List.of(CliRun.promptLine("good", STORY + "Where?"), CliRun.promptLine("bad", STORY + "Zebra?"), CliRun.promptLine("good2", "Hello")));
        Path out = dir.resolve("nan.out");
        CliRun r = CliRun.run("generate", "--model", m.toString(), "--input", in.toString(), "--output", out.toString(),
                "--max-new-tokens", "4", "--ignore-eos", "--threads", "1", "--quiet");
        assertEquals(0, r.exitCode(), r.err());
        List<JsonNode> rows = CliRun.jsonLines(out);
        assertEquals(3, rows.size());
        assertEquals("length", rows.get(0).get("finish_reason").asText());
        assertEquals(4, rows.get(0).get("completion_tokens").asInt());
        assertEquals("error", rows.get(1).get("finish_reason").asText());
        assertEquals("the model produced non-finite logits (NaN) at step 0", rows.get(1).get("error").asText());
        assertEquals("length", rows.get(2).get("finish_reason").asText());
    }

    @Test
    void plantedSymlinkAtTheOldTemporaryNameIsNotFollowed() throws IOException {
        Path victim = dir.resolve("victim.txt");
        Files.writeString(victim, "precious");
        // the name the old code wrote through, for the output p.jsonl.out
        Path predictable = dir.resolve(".p.jsonl.out." + ProcessHandle.current().pid() + ".tmp");
        Files.createSymbolicLink(predictable, victim);
        Path in = dir.resolve("p.jsonl");
        Files.write(in, List.of(CliRun.promptLine("a", "Hello")));
        List<JsonNode> rows = generate(in);
        assertEquals(1, rows.size());
        assertEquals("precious", Files.readString(victim));
        assertTrue(Files.isSymbolicLink(predictable), "somebody else's file is left alone");
        try (var files = Files.list(dir)) {
            assertEquals(0, files.filter(p -> p.getFileName().toString().startsWith(".p.jsonl.out.") && !p.equals(predictable)).count(),
                    "no temporary file left");
        }
    }

    @Test
    void symlinkAtTheOutputPathIsReplacedNotWrittenThrough() throws IOException {
        Path victim = dir.resolve("victim.txt");
        Files.writeString(victim, "precious");
        Path in = dir.resolve("p.jsonl");
        Files.write(in, List.of(CliRun.promptLine("a", "Hello")));
        Path out = dir.resolve("p.jsonl.out");
        Files.createSymbolicLink(out, victim);
        List<JsonNode> rows = generate(in);
        assertEquals(1, rows.size());
        assertFalse(Files.isSymbolicLink(out), "the link itself was replaced by the output");
        assertTrue(Files.isRegularFile(out, LinkOption.NOFOLLOW_LINKS));
        assertEquals("precious", Files.readString(victim));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)), "a new output is private");
        // an existing regular output keeps its permissions
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rw-r--r--"));
        generate(in);
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    }
}
