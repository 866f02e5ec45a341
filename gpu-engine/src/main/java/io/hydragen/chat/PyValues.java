package io.hydragen.chat;

import com.hubspot.jinjava.objects.SafeString;
import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;

/** Python's {@code str()} and {@code repr()} of the values a template handles, for output and string conversion. */
final class PyValues {
    private PyValues() {}

    static Object unwrap(Object v) {
        return v instanceof SafeString s ? s.toString() : v;
    }

    /** {@code str(v)} as Jinja2 prints it; null (None or undefined, which jinjava does not tell apart) prints nothing. */
    static String str(Object v) {
        v = unwrap(v);
        if (v == null) return "";
        if (v instanceof CharSequence s) return s.toString();
        return repr(v);
    }

    static String repr(Object v) {
        v = unwrap(v);
        if (v == null) return "None";
        if (v instanceof CharSequence s) return reprString(s.toString());
        if (v instanceof Boolean b) return b ? "True" : "False";
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            return Double.isNaN(d) ? "nan" : Double.isInfinite(d) ? (d > 0 ? "inf" : "-inf") : floatRepr(d);
        }
        if (v instanceof BigDecimal bd) return floatRepr(bd.doubleValue());
        if (v instanceof Number n) return n.toString();
        if (v instanceof Map<?, ?> m) {
            StringBuilder b = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) b.append(", ");
                first = false;
                b.append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (v instanceof Iterable<?> it) {
            StringBuilder b = new StringBuilder("[");
            Iterator<?> i = it.iterator();
            while (i.hasNext()) {
                b.append(repr(i.next()));
                if (i.hasNext()) b.append(", ");
            }
            return b.append(']').toString();
        }
        if (v instanceof Map.Entry<?, ?> e) return "(" + repr(e.getKey()) + ", " + repr(e.getValue()) + ")";
        return v.toString();
    }

    /** Python's {@code repr(str)}: single quotes unless the text has a single quote and no double quote. */
    static String reprString(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder b = new StringBuilder().append(q);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == q || cp == '\\') b.append('\\').appendCodePoint(cp);
            else if (cp == '\n') b.append("\\n");
            else if (cp == '\r') b.append("\\r");
            else if (cp == '\t') b.append("\\t");
            else if (cp < 0x20 || cp == 0x7f) b.append(String.format("\\x%02x", cp));
            else b.appendCodePoint(cp);
        }
        return b.append(q).toString();
    }

    /** Python's {@code repr(float)}: shortest round-trip digits, exponent form below 1e-4 and from 1e16. */
    static String floatRepr(double d) {
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = bd.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exp < -4 || exp >= 16) {
            String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mant + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        }
        if (exp < 0) return sign + "0." + "0".repeat(-exp - 1) + digits;
        if (digits.length() <= exp + 1) return sign + digits + "0".repeat(exp + 1 - digits.length()) + ".0";
        return sign + digits.substring(0, exp + 1) + "." + digits.substring(exp + 1);
    }
}
