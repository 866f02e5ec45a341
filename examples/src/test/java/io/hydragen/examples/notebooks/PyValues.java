package io.hydragen.examples.notebooks;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Python semantics the runner needs: argument lookup (positional or keyword) and {@code str()} / {@code repr()}. */
final class PyValues {
    private PyValues() {}

    static Object arg(List<Object> args, Map<String, Object> kwargs, int index, String name) {
        if (index < args.size()) return args.get(index);
        if (kwargs.containsKey(name)) return kwargs.get(name);
        throw new IllegalArgumentException("missing argument '" + name + "'");
    }

    static Object optionalArg(List<Object> args, Map<String, Object> kwargs, int index, String name, Object fallback) {
        if (index < args.size()) return args.get(index);
        return kwargs.getOrDefault(name, fallback);
    }

    /** Python's {@code str(v)} for the values the runner has (no floats are printed: their repr differs from Java's). */
    static String str(Object v) {
        if (v == null) return "None";
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof String s) return s;
        if (v instanceof Long || v instanceof Integer) return v.toString();
        if (v instanceof Double d) {
            if (d == Math.rint(d) && !Double.isInfinite(d)) return String.format(Locale.ROOT, "%.1f", d);
            return Double.toString(d);
        }
        if (v instanceof List<?> l) return l.stream().map(PyValues::repr).collect(Collectors.joining(", ", "[", "]"));
        if (v instanceof PyTuple t) {
            return t.items().stream().map(PyValues::repr).collect(Collectors.joining(", ", "(", t.items().size() == 1 ? ",)" : ")"));
        }
        if (v instanceof PyObject o) throw new IllegalArgumentException("cannot print a " + o.typeName() + " object");
        throw new IllegalArgumentException("cannot print " + v.getClass().getSimpleName());
    }

    /** Python's {@code repr(v)}: strings quoted, everything else as {@link #str}. */
    static String repr(Object v) {
        if (v instanceof String s) {
            String q = s.contains("'") && !s.contains("\"") ? "\"" : "'";
            return q + s.replace("\\", "\\\\").replace("\n", "\\n").replace(q, "\\" + q) + q;
        }
        return str(v);
    }
}
