package io.hydragen.examples.notebooks;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Compares what a cell printed now with what the notebook saved. Text and {@code show()} tables must be equal
 * character for character, except the cells of columns that measure time ({@link #VOLATILE_COLUMNS}), whose values
 * (and so whose column widths) differ from run to run: in a table with such a column, rows are compared cell by
 * cell with those columns left out.
 */
final class ShowOutputs {
    static final Set<String> VOLATILE_COLUMNS = Set.of("seconds", "tokens_per_s");

    private ShowOutputs() {}

    /** Null when equal, else a message naming the first difference. */
    static String difference(String expected, String actual) {
        List<String> e = expected.lines().toList(), a = actual.lines().toList();
        if (e.size() != a.size()) {
            return "expected " + e.size() + " lines, got " + a.size() + "\n--- saved:\n" + expected + "\n--- now:\n" + actual;
        }
        for (int i = 0; i < e.size(); i++) {
            if (isTableStart(e, i) && isTableStart(a, i)) {
                List<String> header = cells(e.get(i), e.get(i + 1));
                List<Integer> volatileCols = new ArrayList<>();
                for (int c = 0; c < header.size(); c++) if (VOLATILE_COLUMNS.contains(header.get(c).strip())) volatileCols.add(c);
                if (!volatileCols.isEmpty()) {
                    int end = tableEnd(e, i);
                    if (end != tableEnd(a, i)) return "table at line " + (i + 1) + " has a different number of rows";
                    for (int r = i + 1; r < end; r++) {
                        if (e.get(r).startsWith("+")) continue;
                        List<String> ec = cells(e.get(i), e.get(r)), ac = cells(a.get(i), a.get(r));
                        if (ec.size() != ac.size()) return "line " + (r + 1) + ": " + ec.size() + " columns saved, " + ac.size() + " now";
                        for (int c = 0; c < ec.size(); c++) {
                            if (volatileCols.contains(c)) continue;
                            if (!ec.get(c).strip().equals(ac.get(c).strip())) {
                                return "line " + (r + 1) + ", column " + header.get(c).strip() + ": saved '" + ec.get(c).strip()
                                        + "', now '" + ac.get(c).strip() + "'";
                            }
                        }
                    }
                    i = end;
                    continue;
                }
            }
            if (!e.get(i).equals(a.get(i))) return "line " + (i + 1) + ":\n  saved: " + e.get(i) + "\n  now:   " + a.get(i);
        }
        return null;
    }

    /** Column names of each {@code show()} table in the text, in order (to check a notebook's saved tables). */
    static List<List<String>> tableHeaders(String text) {
        List<String> l = text.lines().toList();
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
            if (isTableStart(l, i)) {
                out.add(cells(l.get(i), l.get(i + 1)).stream().map(String::strip).toList());
                i = tableEnd(l, i);
            }
        }
        return out;
    }

    /** Data rows of the table whose top border is line {@code start}. */
    static int rowCount(String text, int tableIndex) {
        List<String> l = text.lines().toList();
        int seen = 0;
        for (int i = 0; i < l.size(); i++) {
            if (isTableStart(l, i)) {
                int end = tableEnd(l, i);
                if (seen++ == tableIndex) return end - i - 3;
                i = end;
            }
        }
        throw new IllegalArgumentException("no table " + tableIndex);
    }

    /** A top border, a header row and a border below it. */
    private static boolean isTableStart(List<String> l, int i) {
        return i + 2 < l.size() && l.get(i).matches("\\+[-+]*\\+") && l.get(i + 1).startsWith("|") && l.get(i + 2).equals(l.get(i));
    }

    /** Index of the table's bottom border. */
    private static int tableEnd(List<String> l, int start) {
        for (int i = start + 3; i < l.size(); i++) if (l.get(i).equals(l.get(start))) return i;
        return l.size() - 1;
    }

    /** A row cut at the border's '+' positions. */
    private static List<String> cells(String border, String row) {
        List<String> out = new ArrayList<>();
        int prev = 0;
        for (int p = 1; p < border.length(); p++) {
            if (border.charAt(p) == '+') {
                out.add(row.substring(Math.min(prev + 1, row.length()), Math.min(p, row.length())));
                prev = p;
            }
        }
        return out;
    }
}
