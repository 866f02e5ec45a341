package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress line against a fake clock: what it says, and how often it writes to a log. */
class ProgressPrinterTest {
    private static final long S = 1_000_000_000L;
    private final AtomicLong now = new AtomicLong();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private ProgressPrinter printer(boolean terminal, int samples, int batchSize) {
        return new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, false, samples, batchSize, "", now::get);
    }

    private String text() { return bytes.toString(StandardCharsets.UTF_8); }

    private void at(double seconds) { now.set((long) (seconds * S)); }

    @Test
    void logModeWritesAPlainLineAtMostEveryFiveSeconds() {
        ProgressPrinter p = printer(false, 4, 4);
        at(0); p.begin();
        at(1); p.onProgress("prefill", 1000, 2000);
        at(2); p.onProgress("prefill", 2000, 2000);
        at(6); p.onProgress("decode", 2, 10);
        at(7); p.onProgress("decode", 3, 10);
        at(12); p.onProgress("decode", 8, 10);
        p.finish();
        List<String> lines = text().lines().toList();
        assertEquals(List.of("decode step 2/10, ~2 tokens/s, 0/4 samples done, ETA ~16s",
                "decode step 8/10, ~3 tokens/s, 0/4 samples done, ETA ~3s"), lines,
                "decode began at 2 s; 2 steps × 4 samples in 4 s, then 8 × 4 in 10 s");
        assertTrue(!text().contains("\r"), "no carriage returns in a log");
    }

    @Test
    void terminalModeRedrawsOneLineAndClearsIt() {
        ProgressPrinter p = printer(true, 6, 4);
        at(0); p.begin();
        at(2); p.onProgress("prefill", 1000, 1000);
        at(3); p.onProgress("decode", 1, 5);
        at(4); p.onProgress("prefill", 500, 500);   // the second batch
        at(5); p.onProgress("decode", 2, 5);
        p.finish();
        String[] frames = text().split("\r");
        assertEquals("", frames[0]);
        assertEquals("prefill 1000/1000 tokens (batch 1/2), 500 tokens/s" + ProgressPrinter.ERASE_TO_END, frames[1]);
        assertEquals("decode step 1/5 (batch 1/2), ~4 tokens/s, 0/6 samples done, ETA ~9s" + ProgressPrinter.ERASE_TO_END, frames[2]);
        assertEquals("prefill 500/500 tokens (batch 2/2), 500 tokens/s" + ProgressPrinter.ERASE_TO_END, frames[3]);
        assertEquals("decode step 2/5 (batch 2/2), ~4 tokens/s, 4/6 samples done, ETA ~2s" + ProgressPrinter.ERASE_TO_END, frames[4], "2 samples left for batch 2");
        assertEquals(ProgressPrinter.ERASE_TO_END, frames[5], "finish() erases the line");
    }
}
