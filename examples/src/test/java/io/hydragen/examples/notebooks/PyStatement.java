package io.hydragen.examples.notebooks;

import java.util.List;

/** One statement of a notebook cell, in the Python subset the Spark cells use. */
sealed interface PyStatement {
    /** 1-based line in its cell. */
    int line();

    /** {@code import a, b} or {@code from m import a, b}: binds {@code names}. */
    record Import(int line, String module, List<String> names) implements PyStatement {}

    /** {@code target = value}. */
    record Assign(int line, String target, PyExpr value) implements PyStatement {}

    /** An expression evaluated for its effect (and, as a cell's last statement, its value). */
    record Expression(int line, PyExpr value) implements PyStatement {}
}
