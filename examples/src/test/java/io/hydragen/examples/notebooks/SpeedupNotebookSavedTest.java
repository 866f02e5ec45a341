package io.hydragen.examples.notebooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed shared-prefix-speedup.ipynb holds the outputs of one real, full (not quick) run, top to bottom,
 * with its date and machine; and the figures README.md links exist. (Executing it is {@link SpeedupNotebookIT}.)
 */
class SpeedupNotebookSavedTest {
    @Test
    void committedOutputsAreOneFullRun() throws Exception {
        Path dir = RepoPaths.notebooks();
        Notebook nb = Notebook.read(dir.resolve(SpeedupNotebookIT.NOTEBOOK));
        StringBuilder printed = new StringBuilder();
        int count = 0;
        for (ObjectNode c : nb.cells()) {
            if (!Notebook.isCode(c)) continue;
            count++;
            assertEquals(count, c.path("execution_count").asInt(), "code cells ran once each, in order");
            assertFalse(Notebook.outputTypes(c).contains("error"), "a saved error: " + Notebook.source(c));
            printed.append(Notebook.savedStdout(c));
        }
        String out = printed.toString();
        assertTrue(out.contains("QUICK=False"), "saved outputs are from the full sweep, not the quick one");
        assertTrue(Pattern.compile("date: +\\d{4}-\\d{2}-\\d{2}").matcher(out).find(), "the run's date is printed");
        assertTrue(out.contains("cpu: "), "the machine's CPU is printed");
        assertTrue(out.contains("synthetic:cpu-bench"), "the realistic model ran");
        for (String png : new String[]{"decode-throughput-cpu.png", "speedup-cpu.png", "prefill-tokens.png"}) {
            assertTrue(Files.size(dir.resolve("figures").resolve(png)) > 1000, png);
        }
        String readme = Files.readString(RepoPaths.root().resolve("README.md"));
        assertTrue(readme.contains("examples/notebooks/figures/decode-throughput-cpu.png"), "README shows the figure");
    }
}
