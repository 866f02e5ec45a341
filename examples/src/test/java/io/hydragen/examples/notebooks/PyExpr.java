package io.hydragen.examples.notebooks;

import java.util.List;
import java.util.Map;

/** An expression of the Python subset (what the notebooks' Spark statements are made of). */
sealed interface PyExpr {
    /** A string literal (adjacent literals already joined). */
    record Str(String value) implements PyExpr {}

    /** An int or float literal. */
    record Num(double value, boolean integral) implements PyExpr {}

    /** {@code True}, {@code False} or {@code None}. */
    record Const(Object value) implements PyExpr {}

    record Name(String id) implements PyExpr {}

    record Attr(PyExpr object, String name) implements PyExpr {}

    record Call(PyExpr function, List<PyExpr> args, Map<String, PyExpr> kwargs) implements PyExpr {}

    record Index(PyExpr object, PyExpr index) implements PyExpr {}

    record ListOf(List<PyExpr> items) implements PyExpr {}

    record TupleOf(List<PyExpr> items) implements PyExpr {}

    record Minus(PyExpr left, PyExpr right) implements PyExpr {}
}
