package io.hydragen.examples.notebooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Executes shared-prefix-speedup.ipynb headless with Jupyter ({@code jupyter nbconvert --execute}, the python3
 * kernel), in its quick mode (HYDRAGEN_NOTEBOOK_QUICK=1: a tiny model and sweep), into a temporary folder; fails if
 * any cell errors or a figure is missing. Skipped where Jupyter, pandas or matplotlib are not installed
 * ({@code examples/notebooks/install-deps.sh} installs them from Debian's packages). The committed notebook and its
 * figures are never written.
 */
class SpeedupNotebookIT {
    static final String NOTEBOOK = "shared-prefix-speedup.ipynb";
    /** Debian's python, which install-deps.sh equips; a pyenv or venv python3 on the PATH usually lacks Jupyter. */
    static final String PYTHON = System.getProperty("hydragen.notebook.python", "/usr/bin/python3");

    @Test
    void runsTopToBottomInQuickMode(@TempDir Path tmp) throws Exception {
        assumeTrue(Files.isExecutable(Path.of(PYTHON)) && exitCode(List.of(PYTHON, "-c",
                        "import nbconvert, ipykernel, pandas, matplotlib; from jupyter_client.kernelspec import KernelSpecManager as K; K().get_kernel_spec('python3')")) == 0,
                PYTHON + " has no Jupyter nbconvert / python3 kernel / pandas / matplotlib: run examples/notebooks/install-deps.sh (as root)");
        Path dir = RepoPaths.notebooks();
        Path notebook = dir.resolve(NOTEBOOK);
        byte[] committed = Files.readAllBytes(notebook);
        byte[] committedFigures = digestOf(dir.resolve("figures"));

        if (Boolean.getBoolean("hydragen.notebook.afterPackage")) io.hydragen.examples.ScriptStamps.markBuilt(RepoPaths.root());

        Path figures = tmp.resolve("figures");
        Path log = tmp.resolve("nbconvert.log");
        ProcessBuilder pb = new ProcessBuilder(PYTHON, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                "--ExecutePreprocessor.timeout=900", "--ExecutePreprocessor.kernel_name=python3",
                "--output-dir", tmp.toString(), "--output", "executed.ipynb", notebook.toString())
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("HYDRAGEN_NOTEBOOK_QUICK", "1");
        pb.environment().put("HYDRAGEN_NOTEBOOK_FIGURES", figures.toString());
        pb.environment().put("PYDEVD_DISABLE_FILE_VALIDATION", "1");
        Process p = pb.start();
        if (!p.waitFor(20, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("nbconvert did not finish in 20 minutes; its log:\n" + Files.readString(log));
        }
        assertEquals(0, p.exitValue(), "a cell failed; nbconvert's log:\n" + Files.readString(log));

        Notebook executed = Notebook.read(tmp.resolve("executed.ipynb"));
        List<String> printed = new ArrayList<>();
        for (ObjectNode c : executed.cells()) {
            if (!Notebook.isCode(c)) continue;
            assertFalse(Notebook.outputTypes(c).contains("error"), "cell with an error output: " + Notebook.source(c));
            assertTrue(c.path("execution_count").isInt(), "a cell did not run: " + Notebook.source(c));
            printed.add(Notebook.savedStdout(c));
        }
        String all = String.join("\n", printed);
        assertTrue(all.contains("QUICK=True"), "the quick sweep ran:\n" + all);
        assertTrue(all.contains("cpu prefix"), "the bench sweep printed its points:\n" + all);
        for (String png : List.of("decode-throughput-cpu.png", "speedup-cpu.png", "prefill-tokens.png")) {
            byte[] b = Files.readAllBytes(figures.resolve(png));
            assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', png + " is not a PNG image");
        }
        assertArrayEquals(committed, Files.readAllBytes(notebook), "the committed notebook was modified");
        assertArrayEquals(committedFigures, digestOf(dir.resolve("figures")), "the committed figures were modified");
    }

    private static int exitCode(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) { p.destroyForcibly(); return -1; }
        return p.exitValue();
    }

    private static byte[] digestOf(Path dir) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        if (!Files.isDirectory(dir)) return md.digest();
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                md.update(f.getFileName().toString().getBytes());
                md.update(Files.readAllBytes(f));
            }
        }
        return HexFormat.of().formatHex(md.digest()).getBytes();
    }
}
