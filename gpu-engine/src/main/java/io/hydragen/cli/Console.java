package io.hydragen.cli;

import java.io.InputStream;
import java.io.PrintStream;

/**
 * The streams a command talks through, so tests can run {@link Main} in-process and read what it printed.
 *
 * @param errIsTerminal stderr is an interactive terminal: progress may redraw one line with {@code \r}
 *                      (Java cannot ask isatty(2) itself; {@code bin/hydragen} tells it through
 *                      {@code -Dhydragen.stderr.tty=true})
 */
public record Console(InputStream in, PrintStream out, PrintStream err, boolean errIsTerminal) {

    /** The process's own streams. */
    public static Console system() {
        return new Console(System.in, System.out, System.err, Boolean.getBoolean("hydragen.stderr.tty"));
    }
}
