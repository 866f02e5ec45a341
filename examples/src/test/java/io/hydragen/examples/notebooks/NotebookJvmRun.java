package io.hydragen.examples.notebooks;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs every code cell of a PySpark notebook, in order, on this JVM through {@link PyInterpreter}; the outputs are
 * what PySpark would print for the same statements, because each PySpark call is the JVM call PySpark delegates to.
 */
final class NotebookJvmRun {
    /** The settings the runner adds for a test JVM; none changes a result. */
    static final Map<String, String> RUNNER_CONFIG = Map.of(
            "spark.ui.enabled", "false",
            "spark.ui.showConsoleProgress", "false",
            "spark.driver.host", "127.0.0.1",
            "spark.driver.bindAddress", "127.0.0.1");

    /** A cell and what running it printed. */
    record RanCell(int number, ObjectNode cell, PyInterpreter.CellOutput output) {}

    final RunContext context;
    final List<RanCell> cells;

    private NotebookJvmRun(RunContext context, List<RanCell> cells) {
        this.context = context;
        this.cells = cells;
    }

    /** Runs the notebook's code cells; {@code ctx.notebookDir} is the folder relative paths resolve against. */
    static NotebookJvmRun run(Notebook nb, RunContext ctx) {
        PyInterpreter py = new PyInterpreter(ctx);
        List<RanCell> out = new ArrayList<>();
        List<ObjectNode> cells = nb.cells();
        for (int i = 0; i < cells.size(); i++) {
            ObjectNode c = cells.get(i);
            if (!Notebook.isCode(c)) continue;
            out.add(new RanCell(i + 1, c, py.run(i + 1, Notebook.source(c))));
        }
        return new NotebookJvmRun(ctx, out);
    }
}
