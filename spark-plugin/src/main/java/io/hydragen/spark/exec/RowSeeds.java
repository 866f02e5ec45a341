package io.hydragen.spark.exec;

/**
 * The seed of one row, derived from the job's seed and the row's stable identity, never from where the row sits:
 * its partition, its position and its batch mates change with the input's partitioning, so a seed derived from
 * them would make a sampled completion depend on how the table happened to be split.
 *
 * <p>Identity is the user's id column when given, otherwise the prompt text and the row's ordinal among rows with
 * the same prompt (so duplicated prompts get independent samples, while the ordinal itself is fixed by the rows'
 * contents and not by their order). The rule itself is {@link io.hydragen.seed.RowSeeds}, shared with the CLI.
 */
public final class RowSeeds {
    private RowSeeds() {}

    /** {@link io.hydragen.seed.RowSeeds#forRow}: the one rule, shared with {@code bin/hydragen generate}. */
    public static long forRow(long jobSeed, String id, String prompt, long duplicateOrdinal) {
        return io.hydragen.seed.RowSeeds.forRow(jobSeed, id, prompt, duplicateOrdinal);
    }

    /** {@link io.hydragen.seed.RowSeeds#forId}. */
    public static long forId(long jobSeed, String id) { return io.hydragen.seed.RowSeeds.forId(jobSeed, id); }

    /** {@link io.hydragen.seed.RowSeeds#forPrompt}. */
    public static long forPrompt(long jobSeed, String prompt, long duplicateOrdinal) {
        return io.hydragen.seed.RowSeeds.forPrompt(jobSeed, prompt, duplicateOrdinal);
    }
}
