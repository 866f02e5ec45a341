package io.hydragen.spark.plugin;

import org.apache.spark.SparkException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A report to the driver that a task kill interrupted leaves the thread interrupted (the report's catch-all gives it
 * up without swallowing the kill), whether Spark throws the InterruptedException itself or wrapped.
 */
class ReportInterruptTest {
    @AfterEach
    void clear() { Thread.interrupted(); }

    @Test
    void anInterruptedAskSetsTheInterruptAgain() {
        ExecutorEngines.keepInterrupt(new InterruptedException("ask interrupted"));
        assertTrue(Thread.interrupted(), "thrown as is");
        ExecutorEngines.keepInterrupt(new SparkException("Exception thrown in awaitResult", new InterruptedException()));
        assertTrue(Thread.interrupted(), "wrapped");
    }

    @Test
    void anyOtherFailureLeavesTheThreadAlone() {
        ExecutorEngines.keepInterrupt(new SparkException("driver gone", new IOException("connection reset")));
        assertFalse(Thread.currentThread().isInterrupted());
    }
}
