package io.hydragen.examples.notebooks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs a notebook's Python cells, statement by statement, against {@link SparkStandIns}: the Python subset of
 * {@link PyParser}, the builtins {@code print}, the modules {@code glob} and {@code time}, and {@code pyspark.sql}'s
 * {@code SparkSession}. A statement outside that subset fails the run with the cell and line, never is skipped.
 */
final class PyInterpreter {
    /** What one cell produced, as Jupyter would save it: printed text and the value of a trailing expression. */
    record CellOutput(String stdout, String result) {}

    private final RunContext ctx;
    private final Map<String, Object> env = new HashMap<>();

    PyInterpreter(RunContext ctx) {
        this.ctx = ctx;
        env.put("print", (PyCallable) (a, k) -> {
            List<String> parts = new ArrayList<>();
            for (Object o : a) parts.add(PyValues.str(o));
            ctx.print(String.join(k.containsKey("sep") ? PyValues.str(k.get("sep")) : " ", parts)
                    + (k.containsKey("end") ? PyValues.str(k.get("end")) : "\n"));
            return null;
        });
        env.put("len", (PyCallable) (a, k) -> (long) ((List<?>) a.get(0)).size());
    }

    /** Runs one cell; {@code cellNumber} (1-based, among all cells) is for messages. */
    CellOutput run(int cellNumber, String source) {
        List<PyStatement> statements;
        try {
            statements = PyParser.parse(source);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cell " + cellNumber + ", " + e.getMessage(), e);
        }
        String result = null;
        for (int s = 0; s < statements.size(); s++) {
            PyStatement st = statements.get(s);
            try {
                Object value = execute(st);
                boolean last = s == statements.size() - 1;
                if (last && st instanceof PyStatement.Expression && value != null) result = displayRepr(value);
            } catch (RuntimeException e) {
                throw new NotebookRunException(cellNumber, st.line(), e);
            }
        }
        return new CellOutput(ctx.takeStdout(), result);
    }

    private Object execute(PyStatement st) {
        if (st instanceof PyStatement.Import im) {
            doImport(im);
            return null;
        }
        if (st instanceof PyStatement.Assign as) {
            env.put(as.target(), eval(as.value()));
            return null;
        }
        return eval(((PyStatement.Expression) st).value());
    }

    private void doImport(PyStatement.Import im) {
        for (String name : im.names()) {
            String full = im.module() == null ? name : im.module() + "." + name;
            Object module = switch (full) {
                case "glob" -> module("glob", Map.of("glob", (PyCallable) (a, k) -> glob(PyValues.str(a.get(0)))));
                case "time" -> module("time", Map.of("perf_counter", (PyCallable) (a, k) -> System.nanoTime() / 1e9));
                case "pyspark.sql.SparkSession" -> SparkStandIns.sparkSessionClass(ctx);
                default -> throw new IllegalArgumentException("import of " + full + " is not supported by the notebook runner");
            };
            env.put(name, module);
        }
    }

    private Object eval(PyExpr e) {
        if (e instanceof PyExpr.Str s) return s.value();
        if (e instanceof PyExpr.Num n) return n.integral() ? (Object) (long) n.value() : (Object) n.value();
        if (e instanceof PyExpr.Const c) return c.value();
        if (e instanceof PyExpr.Name n) {
            if (!env.containsKey(n.id())) throw new IllegalArgumentException("NameError: name '" + n.id() + "' is not defined");
            return env.get(n.id());
        }
        if (e instanceof PyExpr.Attr a) {
            Object o = eval(a.object());
            if (!(o instanceof PyObject p)) throw new IllegalArgumentException("attribute '" + a.name() + "' of a " + typeOf(o) + " is not supported");
            return p.attr(a.name());
        }
        if (e instanceof PyExpr.Call c) {
            Object f = eval(c.function());
            if (!(f instanceof PyCallable callable)) throw new IllegalArgumentException("a " + typeOf(f) + " is not callable");
            List<Object> args = new ArrayList<>();
            for (PyExpr x : c.args()) args.add(eval(x));
            Map<String, Object> kwargs = new LinkedHashMap<>();
            c.kwargs().forEach((k, v) -> kwargs.put(k, eval(v)));
            return callable.call(args, kwargs);
        }
        if (e instanceof PyExpr.Index ix) {
            Object o = eval(ix.object());
            Object i = eval(ix.index());
            if (!(o instanceof List<?> list) || !(i instanceof Long idx)) throw new IllegalArgumentException("only list[int] indexing is supported");
            int k = (int) (idx < 0 ? list.size() + idx : idx);
            if (k < 0 || k >= list.size()) throw new IllegalArgumentException("IndexError: list index out of range (list " + list + ")");
            return list.get(k);
        }
        if (e instanceof PyExpr.ListOf l) return l.items().stream().map(this::eval).toList();
        if (e instanceof PyExpr.TupleOf t) return new PyTuple(t.items().stream().map(this::eval).toList());
        PyExpr.Minus m = (PyExpr.Minus) e;
        Object l = eval(m.left()), r = eval(m.right());
        if (l instanceof Long a && r instanceof Long b) return a - b;
        if (l instanceof Number a && r instanceof Number b) return a.doubleValue() - b.doubleValue();
        throw new IllegalArgumentException("'-' between " + typeOf(l) + " and " + typeOf(r));
    }

    /** Python's {@code glob.glob}: wildcards in the last path component; paths relative to the notebook's folder. */
    private List<Object> glob(String pattern) {
        Path p = Path.of(ctx.resolve(pattern));
        Path dir = p.getParent();
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + p.getFileName());
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> m.matches(f.getFileName())).map(Path::toString).sorted().map(s -> (Object) s).toList();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Jupyter's display of a trailing expression (only plain values: a DataFrame's repr is left to {@code show()}). */
    private static String displayRepr(Object v) {
        if (v instanceof PyObject o) throw new IllegalArgumentException("a cell ends in a " + o.typeName() + " value: end it with show() or print()");
        return PyValues.repr(v);
    }

    private static PyObject module(String name, Map<String, Object> attrs) {
        return new PyObject() {
            public Object attr(String a) {
                if (attrs.containsKey(a)) return attrs.get(a);
                throw PyObject.noAttr(this, a);
            }
            public String typeName() { return "module " + name; }
        };
    }

    private static String typeOf(Object o) {
        return o == null ? "NoneType" : o instanceof PyObject p ? p.typeName() : o.getClass().getSimpleName();
    }
}
