package io.hydragen.examples.notebooks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * State of one run of a notebook's statements on the JVM: where relative paths resolve (the notebook's folder, as
 * for a Jupyter kernel), what the current cell printed, and a record of every SQL statement, DataSource read and
 * session setting the notebook used, so a test can check that each of them ran.
 */
final class RunContext {
    /** One {@code spark.read.format(...).option(...).load(path)} as the notebook wrote it. */
    record Read(String format, Map<String, String> options, String path) {}

    final Path notebookDir;
    /** Settings the runner adds to the notebook's for running inside a test JVM (loopback, no UI); they change no result. */
    final Map<String, String> runnerConfig;
    final List<String> sql = new ArrayList<>();
    final List<Read> reads = new ArrayList<>();
    final Map<String, String> sessionConfig = new LinkedHashMap<>();
    private final StringBuilder stdout = new StringBuilder();

    RunContext(Path notebookDir, Map<String, String> runnerConfig) {
        this.notebookDir = notebookDir;
        this.runnerConfig = Map.copyOf(runnerConfig);
    }

    void print(String text) { stdout.append(text); }

    /** What was printed since the last call. */
    String takeStdout() {
        String s = stdout.toString();
        stdout.setLength(0);
        return s;
    }

    /** A path as the notebook's kernel would see it: relative to the notebook's folder; URIs pass through. */
    String resolve(String path) {
        if (path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) return path;
        return notebookDir.resolve(path).normalize().toString();
    }
}
