package io.hydragen.examples;

import io.hydragen.spark.plugin.EngineTotals;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The batch job's progress line: rows of the total, tokens/s and an ETA, from the engine's counts. */
class BatchProgressTest {
    static EngineTotals.Counts counts(long rows, long errors, long tokens) {
        return new EngineTotals.Counts(1, rows, rows, errors, 0, 0, 0, tokens, Map.of());
    }

    @Test
    void rowsOfTheTotalTokensPerSecondAndEta() {
        AtomicReference<EngineTotals.Counts> now = new AtomicReference<>(counts(10, 0, 0));
        AtomicLong clock = new AtomicLong(0);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        BatchProgress p = new BatchProgress(new PrintStream(buf), false, 100, now::get, clock::get, false);
        now.set(counts(35, 2, 500));
        clock.set(50_000_000_000L);
        assertEquals("hydragen-batch: 25/100 rows (2 errors), 10.0 tokens/s, 50s elapsed, ETA 2m30s", p.line());
        BatchProgress unknown = new BatchProgress(new PrintStream(buf), false, -1, now::get, clock::get, false);
        assertEquals("hydragen-batch: 0 rows, 0.0 tokens/s, 0s elapsed", unknown.line());
        assertEquals("1h01m", BatchProgress.duration(3660));
    }

    @Test
    void theTotalShowsOnceItsCountArrives() {
        AtomicReference<EngineTotals.Counts> now = new AtomicReference<>(counts(0, 0, 0));
        AtomicLong clock = new AtomicLong(0), total = new AtomicLong(-1);
        BatchProgress p = new BatchProgress(new PrintStream(new ByteArrayOutputStream()), false, total::get, now::get, clock::get, false);
        now.set(counts(4, 0, 40));
        clock.set(2_000_000_000L);
        assertEquals("hydragen-batch: 4 rows, 20.0 tokens/s, 2s elapsed", p.line(), "the count job still running");
        total.set(8);
        assertEquals("hydragen-batch: 4/8 rows, 20.0 tokens/s, 2s elapsed, ETA 2s", p.line());
    }
}
