package io.hydragen.chat;

import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)}, the
 * {@code tojson} filter of transformers' chat templates. Jinjava's own {@code tojson} is Jackson's compact form
 * ({@code {"a":1}}), where Python writes {@code {"a": 1}}; with an indent Python puts no space after commas; floats
 * follow Python's {@code repr}; only {@code " \ } and controls below U+0020 are escaped (ensure_ascii=False).
 */
final class PyJson {
    private PyJson() {}

    /**
     * @param indent null for one line; a number of spaces or a string to indent with
     */
    static String dumps(Object value, Object indent, String itemSep, String keySep, boolean sortKeys) {
        String ind = indent == null ? null
                : indent instanceof Number n ? " ".repeat(Math.max(0, n.intValue())) : indent.toString();
        String is = itemSep != null ? itemSep : ind == null ? ", " : ",";
        String ks = keySep != null ? keySep : ": ";
        StringBuilder b = new StringBuilder();
        write(b, value, ind, is, ks, sortKeys, 0);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v, String ind, String is, String ks, boolean sort, int depth) {
        v = PyValues.unwrap(v);
        if (v == null) {
            b.append("null");
        } else if (v instanceof CharSequence s) {
            quote(b, s.toString());
        } else if (v instanceof Boolean bool) {
            b.append(bool ? "true" : "false");
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            b.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : PyValues.floatRepr(d));
        } else if (v instanceof BigDecimal bd) {
            b.append(PyValues.floatRepr(bd.doubleValue()));
        } else if (v instanceof Number n) {
            b.append(n instanceof BigInteger ? n.toString() : Long.toString(n.longValue()));
        } else if (v instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                b.append("{}");
                return;
            }
            Iterable<? extends Map.Entry<?, ?>> entries = map.entrySet();
            if (sort) {
                java.util.TreeMap<String, Object> sorted = new java.util.TreeMap<>();
                for (Map.Entry<?, ?> e : map.entrySet()) sorted.put(key(e.getKey()), e.getValue());
                entries = sorted.entrySet();
            }
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries) {
                if (!first) b.append(is);
                first = false;
                newline(b, ind, depth + 1);
                quote(b, key(e.getKey()));
                b.append(ks);
                write(b, e.getValue(), ind, is, ks, sort, depth + 1);
            }
            newline(b, ind, depth);
            b.append('}');
        } else if (v instanceof Iterable<?> || v.getClass().isArray()) {
            java.util.List<Object> items = new java.util.ArrayList<>();
            if (v instanceof Iterable<?> it) for (Object o : it) items.add(o);
            else for (int i = 0; i < Array.getLength(v); i++) items.add(Array.get(v, i));
            if (items.isEmpty()) {
                b.append("[]");
                return;
            }
            b.append('[');
            for (int i = 0; i < items.size(); i++) {
                if (i > 0) b.append(is);
                newline(b, ind, depth + 1);
                write(b, items.get(i), ind, is, ks, sort, depth + 1);
            }
            newline(b, ind, depth);
            b.append(']');
        } else {
            throw new IllegalArgumentException("Object of type " + v.getClass().getSimpleName() + " is not JSON serializable");
        }
    }

    private static String key(Object k) {
        k = PyValues.unwrap(k);
        if (k == null) return "null";
        if (k instanceof Boolean bool) return bool ? "true" : "false";
        if (k instanceof Double || k instanceof Float) return PyValues.floatRepr(((Number) k).doubleValue());
        return k.toString();
    }

    private static void newline(StringBuilder b, String ind, int depth) {
        if (ind == null) return;
        b.append('\n');
        for (int i = 0; i < depth; i++) b.append(ind);
    }

    static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
