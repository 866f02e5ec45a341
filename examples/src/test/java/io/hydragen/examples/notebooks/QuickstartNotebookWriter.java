package io.hydragen.examples.notebooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Writes quickstart.ipynb's saved outputs from a real run of its statements (see {@link QuickstartNotebookTest}),
 * and its provenance cell saying how and where they were made. Not a test: enabled only with
 * {@code -Dhydragen.notebook.write=true}:
 * <pre>mvn -o -q -pl examples test -Dtest=QuickstartNotebookWriter -Dhydragen.notebook.write=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 * (after {@code mvn -o -q -pl spark-plugin -am -DskipTests package}, which builds the jar the notebook loads).
 */
@EnabledIfSystemProperty(named = "hydragen.notebook.write", matches = "true")
class QuickstartNotebookWriter {
    @Test
    void writeOutputs() throws IOException {
        Path dir = RepoPaths.notebooks();
        Path file = dir.resolve(QuickstartNotebookTest.NOTEBOOK);
        Notebook nb = Notebook.read(file);
        NotebookJvmRun run = NotebookJvmRun.run(nb, new RunContext(dir, NotebookJvmRun.RUNNER_CONFIG));
        int n = 0;
        for (NotebookJvmRun.RanCell c : run.cells) Notebook.setOutputs(c.cell(), ++n, c.output());
        List<ObjectNode> provenance = nb.tagged("provenance");
        assertEquals(1, provenance.size(), "one markdown cell tagged 'provenance'");
        Notebook.setSource(provenance.get(0), provenance(run));
        nb.write(file);
    }

    private static String provenance(NotebookJvmRun run) throws IOException {
        String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT));
        String sparkVersion = org.apache.spark.package$.MODULE$.SPARK_VERSION();
        return "> **How the outputs below were made.** They come from running this notebook's statements, exactly as written,\n"
                + "> through Spark's JVM API (the calls PySpark makes; `examples/src/test/java/io/hydragen/examples/notebooks/`),\n"
                + "> because PySpark is not installable on the machine that made them: " + machine() + ", Spark "
                + sparkVersion + ", Java " + System.getProperty("java.version") + ", on " + date + ".\n"
                + "> `QuickstartNotebookTest` runs them again in CI and compares. With PySpark 4.1 installed, run the cells yourself.";
    }

    private static String machine() throws IOException {
        String cpu = null;
        Path info = Path.of("/proc/cpuinfo");
        if (Files.isReadable(info)) {
            cpu = Files.readAllLines(info).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse(null);
        }
        String host = InetAddress.getLocalHost().getHostName();
        return "host `" + host + "` (" + (cpu == null ? System.getProperty("os.arch") : cpu) + ", "
                + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name") + " "
                + System.getProperty("os.version") + ")";
    }
}
