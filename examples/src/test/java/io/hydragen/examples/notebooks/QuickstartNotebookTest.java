package io.hydragen.examples.notebooks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * quickstart.ipynb is a PySpark notebook, and PySpark is not installable here: this runs its statements (every SQL
 * statement, DataSource option and session setting, exactly as written in its cells) in a local Spark session with
 * the plugin, through the JVM calls PySpark makes, and checks that they print what the notebook has saved: the
 * same tables with the same column names, row counts and values (greedy completions included), except the
 * time-measuring columns.
 */
class QuickstartNotebookTest {
    static final String NOTEBOOK = "quickstart.ipynb";

    @Test
    void statementsReproduceTheSavedOutputs() throws Exception {
        Path dir = RepoPaths.notebooks();
        assumeTrue(!PluginJar.find(RepoPaths.root()).isEmpty(),
                "the plugin's shaded jar is not built (the notebook loads it): run mvn verify, or mvn -pl spark-plugin -am -DskipTests package");
        Notebook nb = Notebook.read(dir.resolve(NOTEBOOK));
        NotebookJvmRun run = NotebookJvmRun.run(nb, new RunContext(dir, NotebookJvmRun.RUNNER_CONFIG));

        StringBuilder differences = new StringBuilder();
        int tables = 0;
        for (NotebookJvmRun.RanCell c : run.cells) {
            String saved = Notebook.savedStdout(c.cell());
            String diff = ShowOutputs.difference(saved, c.output().stdout());
            if (diff != null) differences.append("cell ").append(c.number()).append(": ").append(diff).append('\n');
            if (!java.util.Objects.equals(Notebook.savedResult(c.cell()), c.output().result())) {
                differences.append("cell ").append(c.number()).append(": result saved ").append(Notebook.savedResult(c.cell()))
                        .append(", now ").append(c.output().result()).append('\n');
            }
            tables += ShowOutputs.tableHeaders(c.output().stdout()).size();
        }
        if (differences.length() > 0) {
            fail("outputs differ from those saved in " + NOTEBOOK
                    + " (if the engine changed on purpose, rewrite them: see QuickstartNotebookWriter):\n" + differences);
        }
        assertTrue(tables >= 5, "expected the notebook's show() tables, got " + tables);

        // Every spark.sql(...) and .option(...) written in the notebook ran (none skipped by the runner).
        String code = run.cells.stream().map(c -> Notebook.source(c.cell())).reduce("", (a, b) -> a + "\n" + b);
        assertEquals(count(code, "spark\\.sql\\("), run.context.sql.size(), "SQL statements run: " + run.context.sql);
        assertEquals(count(code, "\\.option\\("), run.context.reads.stream().mapToInt(r -> r.options().size()).sum());
        assertTrue(run.context.sql.stream().anyMatch(s -> s.contains("hydragen_generate(TABLE(")), "no hydragen_generate call");
        assertTrue(run.context.sql.stream().anyMatch(s -> s.contains("hydragen_complete(")), "no hydragen_complete call");
        RunContext.Read source = run.context.reads.stream().filter(r -> r.format().equals("hydragen")).findFirst()
                .orElseThrow(() -> new AssertionError("no spark.read.format(\"hydragen\")"));
        assertEquals("synthetic:tiny", source.options().get("model"));

        // The session is configured as the plugin needs it, and Kryo with registration required ran every statement.
        var conf = run.context.sessionConfig;
        assertEquals("io.hydragen.spark.plugin.HydragenPlugin", conf.get("spark.plugins"));
        assertEquals("io.hydragen.spark.sql.HydragenSqlExtensions", conf.get("spark.sql.extensions"));
        assertEquals("org.apache.spark.serializer.KryoSerializer", conf.get("spark.serializer"));
        assertEquals("io.hydragen.spark.kryo.HydragenKryoRegistrator", conf.get("spark.kryo.registrator"));
        assertEquals("true", conf.get("spark.kryo.registrationRequired"));
        assertTrue(conf.get("spark.jars").endsWith("-shaded.jar"), conf.get("spark.jars"));
        assertTrue(conf.get("spark.executor.extraJavaOptions").contains("--add-modules=jdk.incubator.vector"));
    }

    @Test
    void savedNotebookIsARealRunWithItsProvenance() throws Exception {
        Notebook nb = Notebook.read(RepoPaths.notebooks().resolve(NOTEBOOK));
        List<ObjectNode> provenance = nb.tagged("provenance");
        assertEquals(1, provenance.size(), "one markdown cell tagged 'provenance'");
        String text = Notebook.source(provenance.get(0));
        assertTrue(text.contains("Spark's JVM API") && text.contains("PySpark is not installable"), text);
        assertTrue(Pattern.compile("\\d{4}-\\d{2}-\\d{2}").matcher(text).find(), "provenance names the date: " + text);

        int count = 0;
        for (ObjectNode c : nb.cells()) {
            if (!Notebook.isCode(c)) continue;
            count++;
            assertFalse(Notebook.outputTypes(c).contains("error"), "a saved error output");
            assertEquals(count, c.path("execution_count").asInt(), "cells run in order, once each");
        }
        // the generation tables: greedy completions of every row, the summary's columns
        String generate = savedOutputOf(nb, "hydragen_generate(TABLE(reviews)");
        assertEquals(List.of("id", "completion", "finish_reason", "prompt_tokens", "shared_prompt_tokens"), ShowOutputs.tableHeaders(generate).get(0));
        assertEquals(5, ShowOutputs.rowCount(generate, 0));
        String summary = savedOutputOf(nb, "FROM answers CROSS JOIN timing");
        assertEquals(List.of("rows", "prompt_tokens", "shared_prompt_tokens", "shared_pct", "generated_tokens", "tokens_per_s"),
                ShowOutputs.tableHeaders(summary).get(0));
        assertNotNull(nb.kernelName());
    }

    private static String savedOutputOf(Notebook nb, String codeFragment) {
        for (ObjectNode c : nb.cells()) {
            if (Notebook.isCode(c) && Notebook.source(c).contains(codeFragment)) return Notebook.savedStdout(c);
        }
        fail("no cell with " + codeFragment);
        return null;
    }

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) n++;
        return n;
    }
}
