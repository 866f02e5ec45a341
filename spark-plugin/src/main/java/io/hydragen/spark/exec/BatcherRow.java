package io.hydragen.spark.exec;

import io.hydragen.seed.RowSeeds;

/**
 * One row as the batcher sees it.
 *
 * @param prompt the prompt text (null for a null cell)
 * @param seed   the row's derived seed ({@link RowSeeds})
 * @param unit   rows with the same unit (one prefix group, or one batch-sized slice of a big group) go to one batch
 */
public record BatcherRow(String prompt, long seed, long unit) implements java.io.Serializable {}
