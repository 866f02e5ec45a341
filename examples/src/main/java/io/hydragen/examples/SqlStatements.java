package io.hydragen.examples;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a SQL script at the semicolons that end statements, as the {@code spark-sql} shell does: a semicolon inside
 * a quoted string ({@code '...'}, {@code "..."}, with backslash escapes), a quoted identifier ({@code `...`}) or a
 * comment ({@code -- ...}, {@code /* ... *}{@code /}) does not end a statement. Empty statements are dropped.
 */
final class SqlStatements {
    private SqlStatements() {}

    static List<String> split(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean content = false;
        int n = script.length();
        for (int i = 0; i < n; i++) {
            char c = script.charAt(i);
            if (c == '\'' || c == '"' || c == '`') {
                int j = i + 1;
                while (j < n && script.charAt(j) != c) {
                    if (c != '`' && script.charAt(j) == '\\') j++;
                    j++;
                }
                j = Math.min(j, n - 1);
                cur.append(script, i, j + 1);
                content = true;
                i = j;
            } else if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
                int j = script.indexOf('\n', i);
                if (j < 0) j = n;
                i = j - 1;
            } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
                int j = script.indexOf("*/", i + 2);
                i = j < 0 ? n : j + 1;
                cur.append(' ');
            } else if (c == ';') {
                if (content) out.add(cur.toString().strip());
                cur.setLength(0);
                content = false;
            } else {
                cur.append(c);
                if (!Character.isWhitespace(c)) content = true;
            }
        }
        if (content) out.add(cur.toString().strip());
        return out;
    }
}
