package io.hydragen.examples.notebooks;

/**
 * One token of the Python subset the notebooks' Spark cells are written in.
 *
 * @param kind  what it is
 * @param text  a name, an operator, a number's digits, or a string literal's decoded value
 * @param line  1-based line of the cell where it starts, for error messages
 */
record PyToken(Kind kind, String text, int line) {
    enum Kind { NAME, STRING, NUMBER, OP, NEWLINE, END }

    boolean is(Kind k, String t) { return kind == k && text.equals(t); }

    boolean isOp(String t) { return is(Kind.OP, t); }

    @Override
    public String toString() { return kind == Kind.STRING ? "'" + text + "'" : kind == Kind.NEWLINE ? "end of line" : text; }
}
