package io.hydragen.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.filter.LengthFilter;
import com.hubspot.jinjava.objects.SafeString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Filters whose jinjava versions differ from Jinja2's (and transformers') in ways chat templates can show. */
final class Jinja2Filters {
    private Jinja2Filters() {}

    static List<Filter> all() {
        return List.of(new ToJson(), new Trim(), new Length("length"), new Length("count"),
                new Simple("upper", PyStrings::upper), new Simple("lower", PyStrings::lower),
                new Simple("capitalize", PyStrings::capitalize), new Simple("title", Jinja2Filters::titleFilter),
                new Sum(), new MinMax("min", -1), new MinMax("max", 1), new Items());
    }

    /** transformers' tojson: {@code json.dumps(x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)}. */
    static final class ToJson implements Filter {
        @Override public String getName() { return "tojson"; }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : args.length > 1 ? args[1] : null;
            Object sortKeys = kwargs.containsKey("sort_keys") ? kwargs.get("sort_keys") : args.length > 3 ? args[3] : null;
            Object separators = kwargs.containsKey("separators") ? kwargs.get("separators") : args.length > 2 ? args[2] : null;
            String itemSep = null, keySep = null;
            if (separators instanceof List<?> l && l.size() == 2) {
                itemSep = String.valueOf(l.get(0));
                keySep = String.valueOf(l.get(1));
            }
            Object ensureAscii = kwargs.containsKey("ensure_ascii") ? kwargs.get("ensure_ascii") : args.length > 0 ? args[0] : null;
            String out = PyJson.dumps(var, indent, itemSep, keySep, Boolean.TRUE.equals(sortKeys));
            return Boolean.TRUE.equals(ensureAscii) ? asciiEscape(out) : out;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return PyJson.dumps(var, null, null, null, false);
        }

        private static String asciiEscape(String s) {
            StringBuilder b = new StringBuilder();
            for (char c : s.toCharArray()) {
                if (c < 0x80) b.append(c);
                else b.append(String.format("\\u%04x", (int) c));
            }
            return b.toString();
        }
    }

    /** Jinja2's trim is Python's {@code str.strip(chars)}: Unicode whitespace (U+00A0, U+3000, ...) included. */
    static final class Trim implements Filter {
        @Override public String getName() { return "trim"; }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var == null) return "";
            String chars = args.length > 0 ? args[0] : null;
            return PyStrings.strip(var.toString(), chars, true, true);
        }

        @Override public boolean preserveSafeString() { return true; }
    }

    /** Python's len(): code points for a string (an emoji is 1, not 2), else jinjava's length. */
    static final class Length implements Filter {
        private final String name;
        private final LengthFilter delegate = new LengthFilter();

        Length(String name) { this.name = name; }

        @Override public String getName() { return name; }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            if (var instanceof String || var instanceof SafeString) return (long) PyStrings.length(var.toString());
            return delegate.filter(var, interpreter, args);
        }
    }

    static final class Simple implements Filter {
        private final String name;
        private final java.util.function.UnaryOperator<String> f;

        Simple(String name, java.util.function.UnaryOperator<String> f) {
            this.name = name;
            this.f = f;
        }

        @Override public String getName() { return name; }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return f.apply(PyValues.str(var));
        }
    }

    private static Object attribute(Object item, Object attribute) {
        if (attribute == null) return item;
        return item instanceof Map<?, ?> m ? m.get(attribute.toString()) : null;
    }

    private static List<Object> items(Object var) {
        List<Object> out = new ArrayList<>();
        if (var instanceof Iterable<?> it) for (Object o : it) out.add(o);
        else if (var instanceof Map<?, ?> m) out.addAll(m.keySet());
        else if (var instanceof String s) s.codePoints().forEach(cp -> out.add(new String(Character.toChars(cp))));
        return out;
    }

    /** Jinja2's items filter (3.1): a mapping's (key, value) pairs; jinjava has none. */
    static final class Items implements Filter {
        @Override public String getName() { return "items"; }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            List<Object> out = new ArrayList<>();
            if (var == null) return out;
            if (!(var instanceof Map<?, ?> m)) throw new IllegalArgumentException("items: can only get item pairs from a mapping");
            for (Map.Entry<?, ?> e : m.entrySet()) out.add(new java.util.AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue()));
            return out;
        }
    }

    /** Jinja2's sum(iterable, attribute=None, start=0): integers stay integers (jinjava's gives a float). */
    static final class Sum implements Filter {
        @Override public String getName() { return "sum"; }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object attr = kwargs.containsKey("attribute") ? kwargs.get("attribute") : args.length > 0 ? args[0] : null;
            Object start = kwargs.containsKey("start") ? kwargs.get("start") : args.length > 1 ? args[1] : 0L;
            boolean floating = start instanceof Double || start instanceof Float;
            long l = floating ? 0 : ((Number) start).longValue();
            double d = ((Number) start).doubleValue();
            for (Object o : items(var)) {
                Object v = attribute(o, attr);
                if (!(v instanceof Number n)) throw new IllegalArgumentException("sum: not a number: " + PyValues.repr(v));
                if (v instanceof Double || v instanceof Float) floating = true;
                l += n.longValue();
                d += n.doubleValue();
            }
            return floating ? (Object) d : (Object) l;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, new Object[0], Map.of());
        }
    }

    /** Jinja2's min/max(value, case_sensitive=False, attribute=None); nothing for an empty sequence. */
    static final class MinMax implements Filter {
        private final String name;
        private final int sign;

        MinMax(String name, int sign) {
            this.name = name;
            this.sign = sign;
        }

        @Override public String getName() { return name; }

        @Override
        @SuppressWarnings({"unchecked", "rawtypes"})
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            boolean caseSensitive = Boolean.TRUE.equals(kwargs.containsKey("case_sensitive") ? kwargs.get("case_sensitive")
                    : args.length > 0 ? args[0] : null);
            Object attr = kwargs.containsKey("attribute") ? kwargs.get("attribute") : args.length > 1 ? args[1] : null;
            Object best = null;
            Comparable bestKey = null;
            for (Object o : items(var)) {
                Object k = attribute(o, attr);
                if (k instanceof String s && !caseSensitive) k = PyStrings.lower(s);
                Comparable key = k instanceof Number n && !(k instanceof Double) ? (Comparable) (Double) n.doubleValue()
                        : k instanceof Double dd ? dd : (Comparable) k;
                if (bestKey == null || Integer.signum(key.compareTo(bestKey)) == sign) {
                    best = o;
                    bestKey = key;
                }
            }
            return best;
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            return filter(var, interpreter, new Object[0], Map.of());
        }
    }

    private static final Pattern WORD_BEGINNING = Pattern.compile("([-\\s({\\[<]+)", Pattern.UNICODE_CHARACTER_CLASS);

    /** Jinja2's title filter (not str.title): each part after {@code -}, whitespace or an opening bracket capitalized. */
    static String titleFilter(String s) {
        List<String> parts = new ArrayList<>();
        Matcher m = WORD_BEGINNING.matcher(s);
        int last = 0;
        while (m.find()) {
            parts.add(s.substring(last, m.start()));
            parts.add(m.group(1));
            last = m.end();
        }
        parts.add(s.substring(last));
        StringBuilder b = new StringBuilder();
        for (String item : parts) {
            if (item.isEmpty()) continue;
            int cp = item.codePointAt(0);
            b.append(PyStrings.upper(new String(Character.toChars(cp))))
                    .append(PyStrings.lower(item.substring(Character.charCount(cp))));
        }
        return b.toString();
    }
}
