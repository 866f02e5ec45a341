package io.hydragen.spark.plugin;

import io.hydragen.generate.BatchStats;

/**
 * A continuous engine stream driven one scheduling round at a time by the task that opened it
 * ({@link EngineLease#openStream}, or a test's stand-in): each {@link #advance} reads ahead from the stream's
 * requests, admits, runs one forward pass and hands out the samples that finished.
 */
public interface ContinuousRounds extends AutoCloseable {
    /** One round; false once every request read has been answered and the requests ran out. */
    boolean advance();

    /** What the rounds run so far did. */
    BatchStats stats();

    /** Frees what the rows still running hold (idempotent); they are never answered by this stream. */
    @Override
    void close();
}
