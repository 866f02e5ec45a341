package io.hydragen.chat;

import com.hubspot.jinjava.objects.SafeString;
import java.beans.FeatureDescriptor;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} and {@code dict} methods for templates. Jinjava calls Java methods by reflection, so
 * {@code s.startswith('x')} or {@code s.title()} do not exist and {@code s.split(',')} would be Java's regex split;
 * this resolver, placed before jinjava's own, answers those calls with Python's behaviour (see {@link PyStrings}).
 * It also indexes strings by code point ({@code s[0]}). Anything it does not know falls through to jinjava's
 * resolvers.
 */
final class PyMethodResolver extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (base == null || method == null) return null;
        String name = method.toString();
        Object[] p = params == null ? new Object[0] : params;
        Object result;
        if (base instanceof String || base instanceof SafeString) {
            result = stringMethod(base.toString(), name, p);
        } else if (base instanceof Map<?, ?> map) {
            result = dictMethod(map, name, p);
        } else if (base instanceof Iterable<?> it && name.equals(Jinja2Lexer.REVERSED_METHOD) && p.length == 0) {
            List<Object> list = new ArrayList<>();
            for (Object o : it) list.add(o);
            java.util.Collections.reverse(list);
            result = list;
        } else {
            return null;
        }
        if (result == NOT_MINE) return null;
        context.setPropertyResolved(true);
        return result;
    }

    private static final Object NOT_MINE = new Object();

    private static Object stringMethod(String s, String name, Object[] p) {
        switch (name) {
            case "strip": return PyStrings.strip(s, str(arg(p, 0)), true, true);
            case "lstrip": return PyStrings.strip(s, str(arg(p, 0)), true, false);
            case "rstrip": return PyStrings.strip(s, str(arg(p, 0)), false, true);
            case "startswith": return affix(s, arg(p, 0), true);
            case "endswith": return affix(s, arg(p, 0), false);
            case "upper": return PyStrings.upper(s);
            case "lower": return PyStrings.lower(s);
            case "title": return PyStrings.title(s);
            case "capitalize": return PyStrings.capitalize(s);
            case "split": return PyStrings.split(s, str(arg(p, 0)), intArg(p, 1, -1));
            case "rsplit": return PyStrings.rsplit(s, str(arg(p, 0)), intArg(p, 1, -1));
            case "splitlines": return splitlines(s);
            case "replace": return replace(s, str(arg(p, 0)), str(arg(p, 1)), intArg(p, 2, -1));
            case "find": return PyStrings.find(s, str(arg(p, 0)), false);
            case "rfind": return PyStrings.find(s, str(arg(p, 0)), true);
            case "count": return PyStrings.count(s, str(arg(p, 0)));
            case "join": return join(s, arg(p, 0));
            case Jinja2Lexer.REVERSED_METHOD: return new StringBuilder(s).reverse().toString();
            case "isspace": return !s.isEmpty() && s.codePoints().allMatch(PyStrings::isSpace);
            case "isdigit": return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha": return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum": return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isupper": return s.codePoints().anyMatch(Character::isUpperCase) && s.equals(PyStrings.upper(s));
            case "islower": return s.codePoints().anyMatch(Character::isLowerCase) && s.equals(PyStrings.lower(s));
            default: return NOT_MINE;
        }
    }

    private static Object dictMethod(Map<?, ?> map, String name, Object[] p) {
        switch (name) {
            case "items": {
                List<Object> out = new ArrayList<>();
                for (Map.Entry<?, ?> e : map.entrySet()) out.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue()));
                return out;
            }
            case "keys": return new ArrayList<>(map.keySet());
            case "values": return new ArrayList<>(map.values());
            case "get": return p.length == 0 ? NOT_MINE : map.containsKey(p[0]) ? map.get(p[0]) : arg(p, 1);
            default: return NOT_MINE;
        }
    }

    private static Object arg(Object[] p, int i) { return i < p.length ? p[i] : null; }

    private static String str(Object o) { return o == null ? null : o.toString(); }

    private static int intArg(Object[] p, int i, int dflt) {
        Object o = arg(p, i);
        return o instanceof Number n ? n.intValue() : dflt;
    }

    private static boolean affix(String s, Object what, boolean prefix) {
        if (what instanceof Iterable<?> options) {
            for (Object o : options) if (affix(s, o, prefix)) return true;
            return false;
        }
        String a = String.valueOf(what);
        return prefix ? s.startsWith(a) : s.endsWith(a);
    }

    private static String replace(String s, String old, String rep, int count) {
        if (old == null || rep == null) throw new IllegalArgumentException("replace() takes two strings");
        if (count < 0) return s.replace(old, rep);
        StringBuilder b = new StringBuilder();
        int from = 0, done = 0;
        while (done < count) {
            int at = s.indexOf(old, from);
            if (at < 0) break;
            b.append(s, from, at).append(rep);
            from = at + old.length();
            done++;
            if (old.isEmpty()) {
                if (from >= s.length()) break;
                b.append(s.charAt(from++));
            }
        }
        return b.append(s.substring(Math.min(from, s.length()))).toString();
    }

    private static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e
                    || c == 0x85 || c == 0x2028 || c == 0x2029) {
                out.add(s.substring(start, i));
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') i++;
                start = i + 1;
            }
        }
        if (start < s.length()) out.add(s.substring(start));
        return out;
    }

    private static String join(String sep, Object items) {
        StringBuilder b = new StringBuilder();
        if (items instanceof Iterable<?> it) {
            Iterator<?> i = it.iterator();
            while (i.hasNext()) {
                b.append(PyValues.str(i.next()));
                if (i.hasNext()) b.append(sep);
            }
        }
        return b.toString();
    }

    /** {@code s[i]}: the i-th code point (negative from the end), as Python indexes a str; jinjava gives nothing. */
    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        // jinjava passes the index as text ("1")
        if ((base instanceof String || base instanceof SafeString) && property != null
                && property.toString().matches("-?\\d{1,9}")) {
            int[] cps = base.toString().codePoints().toArray();
            int index = Integer.parseInt(property.toString());
            int i = index < 0 ? index + cps.length : index;
            context.setPropertyResolved(true);
            if (i < 0 || i >= cps.length) throw new IndexOutOfBoundsException("string index out of range");
            return new String(cps, i, 1);
        }
        return null;
    }
    @Override public Class<?> getType(ELContext context, Object base, Object property) { return null; }
    @Override public void setValue(ELContext context, Object base, Object property, Object value) {}
    @Override public boolean isReadOnly(ELContext context, Object base, Object property) { return true; }
    @Override public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) { return null; }
    @Override public Class<?> getCommonPropertyType(ELContext context, Object base) { return null; }
}
