package io.hydragen.spark.exec;

import java.nio.charset.StandardCharsets;

/**
 * The seed of one row, derived from the job's seed and the row's stable identity, never from where the row sits:
 * its partition, its position and its batch mates change with the input's partitioning, so a seed derived from
 * them would make a sampled completion depend on how the table happened to be split.
 *
 * <p>Identity is the user's id column when given, otherwise the prompt text and the row's ordinal among rows with
 * the same prompt (so duplicated prompts get independent samples, while the ordinal itself is fixed by the rows'
 * contents and not by their order).
 */
public final class RowSeeds {
    private RowSeeds() {}

    /**
     * The seed rule of every batched path: the id column's value when the row has one, else the prompt and its
     * ordinal among equal prompts.
     */
    public static long forRow(long jobSeed, String id, String prompt, long duplicateOrdinal) {
        return id != null ? forId(jobSeed, id) : forPrompt(jobSeed, prompt, duplicateOrdinal);
    }

    /** Seed for a row identified by its id column value. */
    public static long forId(long jobSeed, String id) {
        return mix(mix(jobSeed ^ 0x6A09E667F3BCC909L) ^ fnv1a(id));
    }

    /** Seed for a row identified by its prompt and its ordinal among rows with the same prompt. */
    public static long forPrompt(long jobSeed, String prompt, long duplicateOrdinal) {
        long h = mix(jobSeed ^ 0xBB67AE8584CAA73BL) ^ fnv1a(prompt == null ? "" : prompt);
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
