package io.hydragen.spark.datasource;

import org.apache.spark.sql.connector.read.InputPartition;

/**
 * One input partition of the source: a staged file holding whole prefix groups (whole routing units), sorted so
 * that each group's rows are adjacent.
 *
 * @param file staged rows on a Hadoop-compatible file system
 * @param rows how many rows it holds
 */
record PromptGroupPartition(int index, String file, long rows) implements InputPartition {}
