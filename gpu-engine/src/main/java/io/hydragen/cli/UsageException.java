package io.hydragen.cli;

/** A problem with what the user asked for (an argument, an input file): one line on stderr, exit code 2. */
public final class UsageException extends RuntimeException {
    public UsageException(String message) { super(message); }

    public UsageException(String message, Throwable cause) { super(message, cause); }
}
