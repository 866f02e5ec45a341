package io.hydragen.cli;

import io.hydragen.generate.ProgressListener;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress on stderr while the engine works: one line, redrawn in place with {@code \r} on a terminal; on a pipe
 * or log file a plain line at most every {@link #LOG_INTERVAL_NANOS} so logs stay short.
 *
 * <p>The engine reports prefill in tokens and decode in steps; a decode step produces one token for each running
 * sample, so decode tokens are estimated as steps × samples in the batch (an upper bound once some samples stop).
 */
final class ProgressPrinter implements ProgressListener {
    static final long LOG_INTERVAL_NANOS = 5_000_000_000L;
    static final String ERASE_TO_END = "\u001b[K";

    private final PrintStream err;
    private final boolean terminal;
    private final boolean quiet;
    private final LongSupplier clock;
    private final int samples;
    private final int batchSize;
    private final String label;

    private String phase = "";
    private long phaseStart;
    private long lastEvent;
    private long lastDone;
    private int batch = 0;
    private long lastPrint;
    private boolean drawn;

    /**
     * @param samples samples the run will decode, all batches together (for the decode estimate)
     * @param batchSize the engine's most sequences per batch
     * @param label put before each line (a mode name in bench), or empty
     */
    ProgressPrinter(Console console, boolean quiet, int samples, int batchSize, String label) {
        this(console.err(), console.errIsTerminal(), quiet, samples, batchSize, label, System::nanoTime);
    }

    ProgressPrinter(PrintStream err, boolean terminal, boolean quiet, int samples, int batchSize, String label, LongSupplier clock) {
        this.err = err;
        this.terminal = terminal;
        this.quiet = quiet;
        this.samples = Math.max(1, samples);
        this.batchSize = Math.max(1, batchSize);
        this.label = label.isEmpty() ? "" : label + ": ";
        this.clock = clock;
        this.lastPrint = clock.getAsLong();
        this.lastEvent = lastPrint;
    }

    /** The engine starts now (the model is loaded): rates are measured from here. */
    void begin() {
        lastEvent = clock.getAsLong();
    }

    /** A status line outside the engine's phases ("loading model ..."), shown only on a terminal. */
    void status(String text) {
        if (quiet || !terminal) return;
        draw(label + text);
    }

    @Override
    public void onProgress(String phase, long done, long total) {
        if (quiet) return;
        long now = clock.getAsLong();
        // A prefill report after decode, or one that went backwards, starts the next batch.
        boolean newBatch = batch == 0 || (phase.equals("prefill") && (this.phase.equals("decode") || done <= lastDone && this.phase.equals("prefill")));
        if (newBatch) batch++;
        if (newBatch || !phase.equals(this.phase)) {
            // The phase began when the previous report (or begin()) was made, not at its own first report.
            this.phase = phase;
            phaseStart = lastEvent;
        }
        lastDone = done;
        lastEvent = now;
        if (!terminal && now - lastPrint < LOG_INTERVAL_NANOS) return;
        lastPrint = now;
        String line = line(phase, done, total, (now - phaseStart) / 1e9);
        if (terminal) draw(line);
        else err.println(line);
    }

    private String line(String phase, long done, long total, double seconds) {
        int batches = (samples + batchSize - 1) / batchSize;
        String where = batches > 1 ? " (batch " + Math.min(batch, batches) + "/" + batches + ")" : "";
        if (phase.equals("decode")) {
            int inBatch = Math.min(batchSize, samples - (Math.min(batch, batches) - 1) * batchSize);
            double rate = seconds > 0 ? done * (double) inBatch / seconds : 0;
            int b = Math.min(batch, batches);
            long samplesDone = (long) (b - 1) * batchSize + (done >= total ? inBatch : 0);
            String eta = "";
            if (done > 0 && seconds > 0) {
                // the rest of this batch, then each later batch as many steps at this batch's pace (prefill not counted)
                double step = seconds / done;
                eta = ", ETA ~" + duration((total - done) * step + (double) (batches - b) * total * step);
            }
            return String.format(Locale.ROOT, "%sdecode step %d/%d%s, ~%.0f tokens/s, %d/%d samples done%s", label, done, total,
                    where, rate, samplesDone, samples, eta);
        }
        double rate = seconds > 0 ? done / seconds : 0;
        return String.format(Locale.ROOT, "%s%s %d/%d tokens%s, %.0f tokens/s", label, phase, done, total, where, rate);
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
    }

    private void draw(String line) {
        // \r back to the line's start, then ESC[K erases what a longer previous line left.
        err.print("\r" + line + ERASE_TO_END);
        err.flush();
        drawn = true;
    }

    /** Clears the redrawn line so the summary starts on a clean one. */
    void finish() {
        if (terminal && drawn) {
            err.print("\r" + ERASE_TO_END);
            err.flush();
            drawn = false;
        }
    }
}
