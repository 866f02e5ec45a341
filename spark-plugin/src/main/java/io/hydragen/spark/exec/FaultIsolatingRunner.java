package io.hydragen.spark.exec;

import io.hydragen.generate.BatchStats;
import io.hydragen.generate.Completion;
import io.hydragen.generate.BatchOptions;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.GenerationResult;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.plugin.HydragenMetrics;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs one batch of rows through the engine and hands back each row's completions, so that a bad row costs only
 * itself: rows with no usable prompt get an error without reaching the engine, and when the engine rejects a batch
 * the rows are retried one by one, so only the row at fault gets the error. (If every row fails alone too, the
 * engine itself is broken and the exception is raised, failing the task so Spark retries it.) A cancelled
 * generation ({@link TaskCancellation}) is rethrown at once, never isolated row by row.
 */
public final class FaultIsolatingRunner {
    /** One engine call: the executor's {@link io.hydragen.spark.plugin.EngineLease#generate}, or a test's stand-in. */
    @FunctionalInterface
    public interface Generator {
        GenerationResult generate(List<GenerationRequest> requests, BatchOptions batching);
    }

    private final Generator engine;
    private final GenerateOptions options;
    private final BatchOptions batching;
    private final io.hydragen.generate.GenerationDefaults modelDefaults;
    private BatchStats totals = BatchStats.EMPTY;

    public FaultIsolatingRunner(Generator engine, GenerateOptions options) {
        this(engine, options, io.hydragen.generate.GenerationDefaults.NONE);
    }

    /** @param modelDefaults the model's generation_config.json defaults, for sampling settings the user left unset */
    public FaultIsolatingRunner(Generator engine, GenerateOptions options, io.hydragen.generate.GenerationDefaults modelDefaults) {
        this.modelDefaults = modelDefaults;
        this.engine = engine;
        this.options = options;
        this.batching = options.batchOptions();
    }

    /** A row's engine request, or why it has none (no usable prompt, a malformed conversation). */
    record Prepared(GenerationRequest request, String problem) {}

    /** The engine request of a row, with {@code id} as its request id, or why it has none. */
    Prepared prepare(String id, BatcherRow r) {
        String problem = r.problem() != null ? r.problem() : options.chat() ? null : problem(r.prompt());
        if (problem != null) return new Prepared(null, problem);
        try {
            return new Prepared(request(id, r), null);
        } catch (IllegalArgumentException e) {
            return new Prepared(null, e.getMessage());
        }
    }

    /** @return per row, its samples in sample order (one error completion for a failed row) */
    public List<List<Completion>> run(List<BatcherRow> rows) {
        List<List<Completion>> out = new ArrayList<>(rows.size());
        List<GenerationRequest> requests = new ArrayList<>();
        List<Integer> rowOfRequest = new ArrayList<>();
        int errors = 0;
        for (int i = 0; i < rows.size(); i++) {
            BatcherRow r = rows.get(i);
            out.add(null);
            Prepared prepared = prepare(Integer.toString(i), r);
            String problem = prepared.problem();
            GenerationRequest req = prepared.request();
            if (problem != null) {
                out.set(i, List.of(Completion.error(null, 0, null, problem)));
                errors++;
            } else {
                requests.add(req);
                rowOfRequest.add(i);
            }
        }
        if (!requests.isEmpty()) {
            Result res = generateIsolating(requests);
            List<List<Completion>> perRequest = new ArrayList<>();
            for (int k = 0; k < requests.size(); k++) perRequest.add(new ArrayList<>());
            // completions come back in request order, a request's samples adjacent; request ids are our indexes
            for (Completion c : res.completions) {
                int row = Integer.parseInt(c.requestId());
                int k = rowOfRequest.indexOf(row);
                perRequest.get(k).add(c);
            }
            for (int k = 0; k < requests.size(); k++) {
                List<Completion> cs = perRequest.get(k);
                if (cs.isEmpty()) cs.add(Completion.error(requests.get(k).id(), 0, null, NO_COMPLETION));
                if (cs.get(0).finishReason() == io.hydragen.generate.FinishReason.ERROR) errors++;
                out.set(rowOfRequest.get(k), cs);
            }
            totals = totals.plus(res.stats);
            HydragenMetrics.get().record(res.stats, rows.size(), errors, errorMessages(out), answeredPromptTokens(out));
        } else {
            HydragenMetrics.get().record(BatchStats.EMPTY, rows.size(), errors, errorMessages(out), 0);
        }
        return out;
    }

    /** Prompt tokens of the rows that were answered (each row once, whatever its samples). */
    static long answeredPromptTokens(List<List<Completion>> out) {
        long t = 0;
        for (List<Completion> cs : out) {
            if (cs != null && !cs.isEmpty() && cs.get(0).finishReason() != io.hydragen.generate.FinishReason.ERROR) t += cs.get(0).promptTokens();
        }
        return t;
    }

    /** Error rows per message (at most 16 distinct messages of at most 300 characters). */
    static java.util.Map<String, Long> errorMessages(List<List<Completion>> out) {
        java.util.Map<String, Long> m = new java.util.HashMap<>();
        for (List<Completion> cs : out) {
            if (cs == null || cs.isEmpty() || cs.get(0).finishReason() != io.hydragen.generate.FinishReason.ERROR) continue;
            String e = String.valueOf(cs.get(0).error());
            if (e.length() > 300) e = e.substring(0, 300) + "...";
            if (m.containsKey(e) || m.size() < 16) m.merge(e, 1L, Long::sum);
        }
        return m;
    }

    /** Sum of the engine's statistics over every batch this runner ran. */
    public BatchStats totals() { return totals; }

    /** A row's request: its prompt, or (chat input) its conversation, parsed from the routed JSON text. */
    private GenerationRequest request(String id, BatcherRow r) {
        // the row's own settings win over the call's (a bad one is this row's error: prepare catches it)
        io.hydragen.generate.SamplingParams params = RowSettings.apply(options.samplingParams(r.seed(), modelDefaults), r.settings(), options);
        if (!options.chat()) return GenerationRequest.ofText(id, r.prompt(), params);
        return GenerationRequest.ofMessages(id, ChatRows.parse(r.prompt()), options.addGenerationPrompt(), params)
                .withChatTemplate(options.chatTemplate());
    }

    private static final String NO_COMPLETION = "the engine returned no completion for this row";

    /**
     * Whether a completion's row reached the engine (it then has a seed); rows without a usable prompt are answered
     * here without a request id.
     */
    public static boolean reachedEngine(Completion c) { return c.requestId() != null; }

    public static String problem(String prompt) {
        if (prompt == null) return "prompt is null";
        if (prompt.isEmpty()) return "prompt is empty";
        return null;
    }

    private record Result(List<Completion> completions, BatchStats stats) {}

    private Result generateIsolating(List<GenerationRequest> requests) {
        try {
            GenerationResult r = engine.generate(requests, batching);
            return new Result(r.completions(), r.stats());
        } catch (RuntimeException batchFailure) {
            if (TaskCancellation.isCancellation(batchFailure)) throw batchFailure;
            List<Completion> all = new ArrayList<>();
            BatchStats stats = BatchStats.EMPTY;
            int failed = 0;
            for (GenerationRequest req : requests) {
                TaskCancellation.check();
                try {
                    GenerationResult r = engine.generate(List.of(req), batching);
                    all.addAll(r.completions());
                    stats = stats.plus(r.stats());
                } catch (RuntimeException e) {
                    if (TaskCancellation.isCancellation(e)) throw e;
                    failed++;
                    all.add(Completion.error(req.id(), 0, null, message(e)));
                }
            }
            if (requests.size() > 1 && failed == requests.size()) throw batchFailure;
            return new Result(all, stats);
        }
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
