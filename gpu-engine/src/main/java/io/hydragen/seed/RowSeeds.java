package io.hydragen.seed;

import java.nio.charset.StandardCharsets;

/**
 * The seed of one row, the one rule of {@code bin/hydragen generate}, {@code bin/hydragen-batch} and the Spark plugin
 * (which delegates here): derived from the run's seed {@code S} and the row's stable identity, never from where the
 * row sits (its position, partition or batch mates change with how the input is split or ordered).
 *
 * <ul>
 *   <li>A row with an id (the CLI's {@code "id"} field, Spark's {@code id_column}): {@link #forId}(S, id as text).</li>
 *   <li>Otherwise: {@link #forPrompt}(S, prompt, k), k being the row's ordinal among the rows with the same prompt
 *       (in file order for the CLI; fixed by the rows' contents in Spark), so identical prompts get different samples
 *       and the run is reproducible.</li>
 *   <li>Sample i of a row (n &gt; 1) draws from the random stream (row seed, i).</li>
 * </ul>
 * Without a run seed, the CLI draws a fresh seed per row; every output row records its seed ({@code seed}), and an
 * input line with a {@code "seed"} field uses that seed as is, so any row can be reproduced.
 */
public final class RowSeeds {
    private RowSeeds() {}

    /** The rule above: the id's when the row has one, else the prompt's and its ordinal among equal prompts. */
    public static long forRow(long runSeed, String id, String prompt, long duplicateOrdinal) {
        return id != null ? forId(runSeed, id) : forPrompt(runSeed, prompt, duplicateOrdinal);
    }

    /** Seed for a row identified by its id. */
    public static long forId(long runSeed, String id) {
        return mix(mix(runSeed ^ 0x6A09E667F3BCC909L) ^ fnv1a(id));
    }

    /** Seed for a row identified by its prompt and its ordinal among rows with the same prompt. */
    public static long forPrompt(long runSeed, String prompt, long duplicateOrdinal) {
        long h = mix(runSeed ^ 0xBB67AE8584CAA73BL) ^ fnv1a(prompt == null ? "" : prompt);
        return mix(mix(h) ^ duplicateOrdinal);
    }

    private static long fnv1a(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xFF);
            h *= 0x100000001B3L;
        }
        return h;
    }

    /** SplitMix64's finaliser: spreads every input bit over the output. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
