package io.hydragen.spark.exec;

import io.hydragen.seed.RowSeeds;

/**
 * One row as the batcher sees it.
 *
 * @param prompt the prompt text (null for a null cell)
 * @param seed   the row's derived seed ({@link RowSeeds})
 * @param unit   rows with the same unit (one prefix group, or one batch-sized slice of a big group) go to one batch
 * @param settings the row's own settings as JSON ({@link RowSettings}), or null
 */
public record BatcherRow(String prompt, long seed, long unit, String settings) implements java.io.Serializable {
    /** A row with no settings of its own. */
    public BatcherRow(String prompt, long seed, long unit) { this(prompt, seed, unit, null); }
}
