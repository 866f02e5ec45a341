package io.hydragen.spark.api;

import java.util.Collection;
import java.util.Locale;

/** "Did you mean ...?" for mistyped option and configuration keys: the nearest known key by edit distance. */
public final class Suggestions {
    private Suggestions() {}

    /** The known key nearest to {@code key} (case-insensitive), or null when none is close enough to be a typo. */
    public static String nearest(String key, Collection<String> known) {
        String k = key.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : known) {
            int d = distance(k, candidate.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = candidate;
            }
        }
        if (best == null) return null;
        int allowed = Math.max(2, Math.min(k.length(), best.length()) / 3);
        return bestDistance <= allowed ? best : null;
    }

    /** {@code " (did you mean 'x'?)"} or an empty string. */
    public static String didYouMean(String key, Collection<String> known) {
        String s = nearest(key, known);
        return s == null ? "" : " (did you mean '" + s + "'?)";
    }

    /** Levenshtein distance (insertions, deletions, substitutions). */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
