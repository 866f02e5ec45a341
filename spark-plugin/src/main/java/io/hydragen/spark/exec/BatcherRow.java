package io.hydragen.spark.exec;

import io.hydragen.seed.RowSeeds;

/**
 * One row as the batcher sees it.
 *
 * @param prompt the prompt text (null for a null cell)
 * @param seed   the row's derived seed ({@link RowSeeds})
 * @param unit   rows with the same unit (one prefix group, or one batch-sized slice of a big group) go to one batch
* @param settings the row's own settings as JSON ({@link RowSettings}), or null
 * @param problem why the row cannot be generated, known before it reaches the engine (a malformed input line,
 *                {@link CorruptRecords}), or null
 */
public record BatcherRow(String prompt, long seed, long unit, String settings, String problem) implements java.io.Serializable {
    /** A row with no settings of its own and no known problem. */
    public BatcherRow(String prompt, long seed, long unit) { this(prompt, seed, unit, null, null); }
}
