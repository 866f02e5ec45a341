package io.hydragen.examples;

import io.hydragen.spark.plugin.EngineTotals;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The batch job's progress on stderr while it runs, from the engine's own counts ({@link EngineTotals}): rows done
 * (of the total when known), generated tokens per second and an estimate of the time left. On a terminal one line is
 * redrawn in place every second; in a log a line is printed every {@link #LOG_INTERVAL_SECONDS} seconds.
 */
final class BatchProgress implements AutoCloseable {
    static final int LOG_INTERVAL_SECONDS = 10;

    private final PrintStream err;
    private final boolean terminal;
    private final LongSupplier totalRows;
    private final Supplier<EngineTotals.Counts> counts;
    private final EngineTotals.Counts start;
    private final LongSupplier clock;
    private final long t0;
    private final Thread thread;
    private volatile boolean drawn;

    /**
     * @param totalRows rows the job will generate, or -1 while not known (a --sql query; a table whose count is still
     *                  running)
     */
    BatchProgress(PrintStream err, boolean terminal, LongSupplier totalRows) {
        this(err, terminal, totalRows, EngineTotals::snapshot, System::nanoTime, true);
    }

    BatchProgress(PrintStream err, boolean terminal, long totalRows, Supplier<EngineTotals.Counts> counts, LongSupplier clock, boolean run) {
        this(err, terminal, () -> totalRows, counts, clock, run);
    }

    BatchProgress(PrintStream err, boolean terminal, LongSupplier totalRows, Supplier<EngineTotals.Counts> counts, LongSupplier clock, boolean run) {
        this.err = err;
        this.terminal = terminal;
        this.totalRows = totalRows;
        this.counts = counts;
        this.start = counts.get();
        this.clock = clock;
        this.t0 = clock.getAsLong();
        if (run) {
            thread = new Thread(this::loop, "hydragen-batch-progress");
            thread.setDaemon(true);
            thread.start();
        } else {
            thread = null;
        }
    }

    private void loop() {
        long interval = terminal ? 1000 : LOG_INTERVAL_SECONDS * 1000L;
        try {
            while (true) {
                Thread.sleep(interval);
                print(line());
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    private synchronized void print(String line) {
        if (terminal) {
            err.print("\r" + line + "\u001b[K");
            drawn = true;
        } else {
            err.println(line);
        }
        err.flush();
    }

    /** The current progress line. */
    String line() {
        EngineTotals.Counts c = counts.get().minus(start);
        double seconds = (clock.getAsLong() - t0) / 1e9;
        double tps = seconds > 0 ? c.generatedTokens() / seconds : 0;
        long totalRows = this.totalRows.getAsLong();
        StringBuilder sb = new StringBuilder("hydragen-batch: ");
        sb.append(c.rows()).append(totalRows >= 0 ? "/" + totalRows : "").append(" rows");
        if (c.errorRows() > 0) sb.append(" (").append(c.errorRows()).append(" errors)");
        sb.append(String.format(Locale.ROOT, ", %.1f tokens/s, %s elapsed", tps, duration(seconds)));
        if (totalRows > 0 && c.rows() > 0 && c.rows() < totalRows) {
            sb.append(", ETA ").append(duration(seconds * (totalRows - c.rows()) / c.rows()));
        }
        return sb.toString();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
    }

    /** Stops the updates and clears the redrawn line. */
    @Override
    public synchronized void close() {
        if (thread != null) thread.interrupt();
        if (terminal && drawn) {
            err.print("\r\u001b[K");
            err.flush();
        }
    }
}
