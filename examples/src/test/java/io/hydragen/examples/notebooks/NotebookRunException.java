package io.hydragen.examples.notebooks;

/** A notebook statement failed on the JVM runner: says which cell and line, with the cause's message. */
final class NotebookRunException extends RuntimeException {
    NotebookRunException(int cell, int line, Throwable cause) {
        super("cell " + cell + ", line " + line + ": " + firstLine(cause), cause);
    }

    private static String firstLine(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.toString() : m.lines().findFirst().orElse(m);
    }
}
