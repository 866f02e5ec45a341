package io.hydragen.examples.notebooks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Recursive-descent parser for the Python subset of the notebooks' Spark cells: imports, assignments to a name, and
 * expressions built from names, literals, attribute access, calls (with keyword arguments), indexing, list and
 * tuple displays and binary minus. Anything else is an error naming the line, so a notebook cannot drift into code
 * the JVM runner would silently skip.
 */
final class PyParser {
    private final List<PyToken> tokens;
    private int i;

    private PyParser(List<PyToken> tokens) { this.tokens = tokens; }

    static List<PyStatement> parse(String cellSource) {
        return new PyParser(PyTokenizer.tokenize(cellSource)).statements();
    }

    private List<PyStatement> statements() {
        List<PyStatement> out = new ArrayList<>();
        while (peek().kind() != PyToken.Kind.END) {
            out.add(statement());
            if (peek().isOp(";")) next();
            PyToken end = next();
            if (end.kind() != PyToken.Kind.NEWLINE && end.kind() != PyToken.Kind.END) throw error(end, "expected end of statement");
        }
        return out;
    }

    private PyStatement statement() {
        PyToken t = peek();
        if (t.is(PyToken.Kind.NAME, "import")) {
            next();
            List<String> names = new ArrayList<>();
            do { names.add(dotted()); } while (accept(","));
            return new PyStatement.Import(t.line(), null, names);
        }
        if (t.is(PyToken.Kind.NAME, "from")) {
            next();
            String module = dotted();
            expectName("import");
            List<String> names = new ArrayList<>();
            do { names.add(name()); } while (accept(","));
            return new PyStatement.Import(t.line(), module, names);
        }
        if (t.kind() == PyToken.Kind.NAME && tokens.get(i + 1).isOp("=")) {
            next();
            next();
            return new PyStatement.Assign(t.line(), t.text(), expr());
        }
        return new PyStatement.Expression(t.line(), expr());
    }

    private PyExpr expr() {
        PyExpr left = postfix();
        while (accept("-")) left = new PyExpr.Minus(left, postfix());
        if (peek().kind() == PyToken.Kind.OP && "+*/".contains(peek().text())) throw error(peek(), "operator " + peek().text() + " is not supported");
        return left;
    }

    private PyExpr postfix() {
        PyExpr e = atom();
        while (true) {
            if (accept(".")) {
                e = new PyExpr.Attr(e, name());
            } else if (accept("(")) {
                List<PyExpr> args = new ArrayList<>();
                Map<String, PyExpr> kwargs = new LinkedHashMap<>();
                while (!peek().isOp(")")) {
                    if (peek().kind() == PyToken.Kind.NAME && tokens.get(i + 1).isOp("=")) {
                        String k = next().text();
                        next();
                        kwargs.put(k, expr());
                    } else {
                        if (!kwargs.isEmpty()) throw error(peek(), "positional argument after a keyword argument");
                        args.add(expr());
                    }
                    if (!accept(",")) break;
                }
                expect(")");
                e = new PyExpr.Call(e, args, kwargs);
            } else if (accept("[")) {
                PyExpr index = expr();
                expect("]");
                e = new PyExpr.Index(e, index);
            } else {
                return e;
            }
        }
    }

    private PyExpr atom() {
        PyToken t = next();
        switch (t.kind()) {
            case STRING -> {
                StringBuilder sb = new StringBuilder(t.text());
                while (peek().kind() == PyToken.Kind.STRING) sb.append(next().text());
                return new PyExpr.Str(sb.toString());
            }
            case NUMBER -> {
                return new PyExpr.Num(Double.parseDouble(t.text()), !t.text().contains("."));
            }
            case NAME -> {
                return switch (t.text()) {
                    case "True" -> new PyExpr.Const(Boolean.TRUE);
                    case "False" -> new PyExpr.Const(Boolean.FALSE);
                    case "None" -> new PyExpr.Const(null);
                    case "lambda", "def", "class", "for", "while", "if", "with" -> throw error(t, "'" + t.text() + "' is not supported");
                    default -> new PyExpr.Name(t.text());
                };
            }
            case OP -> {
                if (t.text().equals("(")) {
                    if (accept(")")) return new PyExpr.TupleOf(List.of());
                    PyExpr first = expr();
                    if (accept(")")) return first;
                    List<PyExpr> items = new ArrayList<>(List.of(first));
                    while (accept(",")) {
                        if (peek().isOp(")")) break;
                        items.add(expr());
                    }
                    expect(")");
                    return new PyExpr.TupleOf(items);
                }
                if (t.text().equals("[")) {
                    List<PyExpr> items = new ArrayList<>();
                    while (!peek().isOp("]")) {
                        items.add(expr());
                        if (!accept(",")) break;
                    }
                    expect("]");
                    return new PyExpr.ListOf(items);
                }
                if (t.text().equals("-") && peek().kind() == PyToken.Kind.NUMBER) {
                    return new PyExpr.Num(-Double.parseDouble(next().text()), true);
                }
                throw error(t, "unexpected '" + t.text() + "'");
            }
            default -> throw error(t, "unexpected " + t);
        }
    }

    private String dotted() {
        StringBuilder sb = new StringBuilder(name());
        while (accept(".")) sb.append('.').append(name());
        return sb.toString();
    }

    private String name() {
        PyToken t = next();
        if (t.kind() != PyToken.Kind.NAME) throw error(t, "expected a name, got " + t);
        return t.text();
    }

    private void expectName(String n) {
        PyToken t = next();
        if (!t.is(PyToken.Kind.NAME, n)) throw error(t, "expected '" + n + "', got " + t);
    }

    private void expect(String op) {
        PyToken t = next();
        if (!t.isOp(op)) throw error(t, "expected '" + op + "', got " + t);
    }

    private boolean accept(String op) {
        if (peek().isOp(op)) { i++; return true; }
        return false;
    }

    private PyToken peek() { return tokens.get(i); }

    private PyToken next() { return tokens.get(i++); }

    private static IllegalArgumentException error(PyToken t, String message) {
        return new IllegalArgumentException("line " + t.line() + ": " + message);
    }
}
