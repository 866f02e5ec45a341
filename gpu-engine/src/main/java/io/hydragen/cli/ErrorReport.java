package io.hydragen.cli;

import io.hydragen.model.ModelException;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * Turns a failure into the one line a user reads and the exit code scripts check: 2 for what the user can fix
 * (arguments, input files, a broken model), 1 for anything else. The stack trace only with {@code --debug}.
 */
final class ErrorReport {
    static final int USAGE = 2;
    static final int INTERNAL = 1;

    private ErrorReport() {}

    /** @param terminal stderr is a terminal that may hold a half-drawn progress line, erased first */
    static int report(Throwable e, PrintStream err, boolean terminal, boolean debug) {
        Throwable t = unwrap(e);
        int code = exitCode(t);
        String msg = message(t);
        if (code == INTERNAL && !debug) msg += " (run with --debug for the stack trace)";
        if (terminal) err.print("\r" + ProgressPrinter.ERASE_TO_END);
        err.println("hydragen: error: " + msg);
        if (debug) e.printStackTrace(err);
        err.flush();
        return code;
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while (t instanceof UncheckedIOException && t.getCause() != null) t = t.getCause();
        return t;
    }

    private static int exitCode(Throwable t) {
        if (t instanceof UsageException || t instanceof ModelException || t instanceof IllegalArgumentException) return USAGE;
        if (t instanceof NoSuchFileException || t instanceof AccessDeniedException || t instanceof FileNotFoundException) return USAGE;
        return INTERNAL;
    }

    private static String message(Throwable t) {
        String m = t.getMessage();
        if (t instanceof NoSuchFileException) return m + ": no such file";
        if (t instanceof AccessDeniedException) return m + ": permission denied";
        if (t instanceof OutOfMemoryError) return "out of memory (" + m + "); give the JVM more with JAVA_OPTS=-Xmx..., or use a smaller --batch-size or --kv-budget";
        if (m == null || m.isBlank()) return t.getClass().getSimpleName();
        // One line: some library messages carry a location or a hint on further lines.
        String first = m.strip().lines().findFirst().orElse(m);
        if (t instanceof UsageException || t instanceof ModelException || t instanceof IllegalArgumentException
                || t instanceof io.hydragen.backend.AllocationException) return first;
        return (t instanceof IOException ? "I/O error: " : t.getClass().getSimpleName() + ": ") + first;
    }
}
