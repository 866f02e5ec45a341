package io.hydragen.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.generate.BatchOptions;
import io.hydragen.generate.BatchStats;
import io.hydragen.generate.Completion;
import io.hydragen.generate.Engine;
import io.hydragen.generate.FinishReason;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.Scheduler;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code generate}'s scheduling options: {@code --scheduler static|continuous} and {@code --output-order
 * input|completion}. Static scheduling in input order is the plain path (one {@link Engine#generate} call, lines
 * written at the end); any other combination runs {@link Engine#stream} and writes each line as its sample completes:
 * in completion order at once, or in input order as soon as every line before it is out.
 */
final class SchedulerOptions {
    @Option(names = "--scheduler", paramLabel = "S",
            description = "static (batches decoded until their last sample finishes) or continuous (the running batch kept full, "
                    + "samples admitted as others finish) (default: the engine's, Scheduler.DEFAULT: static).")
    String scheduler;

    @Option(names = "--output-order", defaultValue = "input", paramLabel = "O",
            description = "input (lines in input order) or completion (each line as its sample finishes) (default ${DEFAULT-VALUE}).")
    String outputOrder;

    /** The scheduler, checked. */
    Scheduler scheduler() {
        if (scheduler == null) return Scheduler.DEFAULT;
        try {
            return Scheduler.parse(scheduler);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--scheduler must be static or continuous, got '" + scheduler + "'");
        }
    }

    /** Whether lines go out in finishing order, checked. */
    boolean completionOrder() {
        String o = outputOrder.strip().toLowerCase(Locale.ROOT);
        if (o.equals("input")) return false;
        if (o.equals("completion")) return true;
        throw new UsageException("--output-order must be input or completion, got '" + outputOrder + "'");
    }

    /** Checks both options (before any work). */
    void check() {
        scheduler();
        completionOrder();
    }

    /** Whether the run streams ({@link #stream}) rather than taking the plain path. */
    boolean streams() { return scheduler() != Scheduler.STATIC || completionOrder(); }

    /** Formats sample {@code i} of a row ({@code c} null: the row's own error) as {@code generate} writes it. */
    interface LineFormat {
        GenerateCommand.OutputLine line(PromptRow row, int i, io.hydragen.generate.Completion c);
    }

    /** Lines written and how many were errors, with the engine's statistics. */
    record Written(int errors, BatchStats stats) {}

    /**
     * Streams {@code requests} (the usable rows' requests, ids their line numbers) through {@code engine} and writes
     * one line per sample of every row (unusable rows' errors included) as it is ready, flushing after each.
     *
     * @param engine null when no row is usable
     */
    Written stream(Engine engine, BatchOptions batching, List<GenerationRequest> requests, List<PromptRow> rows, int n,
                   Writer w, LineFormat format) throws IOException {
        boolean completion = completionOrder();
        Map<String, Integer> rowOfLine = new HashMap<>();
        for (int r = 0; r < rows.size(); r++) rowOfLine.put(Integer.toString(rows.get(r).line()), r);
        String[] pending = new String[rows.size() * n];   // input order: finished lines not yet written, by slot
        int[] next = {0};
        int[] errors = {0};
        java.util.function.BiConsumer<Integer, GenerateCommand.OutputLine> emit = (slot, out) -> {
            try {
                if (out.error()) errors[0]++;
                String line = out.text();
                if (completion) {
                    w.write(line);
                } else {
                    pending[slot] = line;
                    while (next[0] < pending.length && pending[next[0]] != null) {
                        w.write(pending[next[0]]);
                        pending[next[0]++] = null;
                    }
                }
                w.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        try {
            for (int r = 0; r < rows.size(); r++) {
                PromptRow row = rows.get(r);
                if (!row.ok()) for (int i = 0; i < n; i++) emit.accept(r * n + i, format.line(row, i, null));
            }
            BatchStats stats = BatchStats.EMPTY;
            if (!requests.isEmpty()) {
                stats = engine.stream(requests.iterator(), batching.withScheduler(scheduler()), c -> {
                    int r = rowOfLine.get(c.requestId());
                    PromptRow row = rows.get(r);
                    emit.accept(r * n + c.sampleIndex(), format.line(row, c.sampleIndex(), c));
                });
            }
            return new Written(errors[0], stats);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
