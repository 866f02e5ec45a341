package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.model.SharedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hydragen bench-constraint}: its report and JSON on a shared tokenizer, and its usage errors. */
class BenchConstraintCommandTest {

    @Test
    void reportsEveryFigurePerTokenizer(@TempDir Path tmp) throws Exception {
        Path model = SharedModels.require("tiny-llama-sp");
        Path json = tmp.resolve("bench.json");
        CliRun r = CliRun.run("bench-constraint", "--tokenizer", model.toString(), "--choice", "yes,no,maybe", "--reps", "1",
                "--threads", "2", "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        for (String s : new String[] {"vocabulary 32000", "first mask", "per-token walk", "trie walk, 2 threads", "warm step"}) {
            assertTrue(r.out().contains(s), s + " in " + r.out());
        }
        JsonNode rows = CliRun.JSON.readTree(Files.readString(json));
        assertEquals(1, rows.size());
        assertEquals(32000, rows.get(0).get("vocabSize").asInt());
        assertTrue(rows.get(0).get("meanAllowed").asLong() >= 1);
    }

    @Test
    void needsAConstraintAndATokenizer() {
        CliRun none = CliRun.run("bench-constraint", "--tokenizer", "/nonexistent");
        assertEquals(ErrorReport.USAGE, none.exitCode());
        assertTrue(none.err().contains("--json-schema, --regex or --choice"), none.err());
        CliRun noTok = CliRun.run("bench-constraint", "--regex", "a+");
        assertEquals(ErrorReport.USAGE, noTok.exitCode());
        assertTrue(noTok.err().contains("--tokenizer"), noTok.err());
    }
}
