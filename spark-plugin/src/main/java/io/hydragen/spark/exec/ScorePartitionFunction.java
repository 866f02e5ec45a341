package io.hydragen.spark.exec;

import io.hydragen.score.ScoreRequest;
import io.hydragen.score.ScoreResult;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.partition.UnitBatcher;
import io.hydragen.spark.plugin.EngineLease;
import io.hydragen.spark.plugin.ExecutorEngines;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.TaskCompletionListener;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The task body of {@code Hydragen.score}: the routed partition in unit-preserving batches (rows sharing a prefix
 * stay together, so the engine prefills a few-shot prefix once per batch and each prompt once for its candidates),
 * each scored by the executor's engine ({@link io.hydragen.generate.Engine#score}). A row without a prompt or with no
 * usable candidates gets an error without reaching the engine; a batch the engine rejects is scored row by row so only
 * the row at fault gets the error.
 */
public final class ScorePartitionFunction implements MapPartitionsFunction<Row, Row> {
    private final GenerateOptions options;
    private final RoutedLayout layout;
    private final int candidatesColumn;
    private final StructType outputSchema;

    /** @param candidatesColumn the index of the candidates column among the input columns */
    public ScorePartitionFunction(GenerateOptions options, RoutedLayout layout, int candidatesColumn, StructType outputSchema) {
        this.options = options;
        this.layout = layout;
        this.candidatesColumn = candidatesColumn;
        this.outputSchema = outputSchema;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        if (!input.hasNext()) return Collections.emptyIterator();
        PartitionGenerator.RowAccess<Row> access = layout.rows();
        UnitBatcher<Row> batches = new UnitBatcher<>(input, access::unit, options.batchSize());
        EngineLease[] lease = {null};
        TaskContext tc = TaskContext.get();
        if (tc != null) tc.addTaskCompletionListener((TaskCompletionListener) ctx -> { if (lease[0] != null) lease[0].close(); });
        return new Iterator<>() {
            List<Row> batch = List.of();
            List<ScoreResult> results = List.of();
            int at;

            @Override
            public boolean hasNext() {
                while (at >= batch.size()) {
                    if (!batches.hasNext()) {
                        if (lease[0] != null) { lease[0].close(); lease[0] = null; }
                        return false;
                    }
                    TaskCancellation.check();
                    batch = batches.next();
                    if (lease[0] == null) lease[0] = ExecutorEngines.acquire(options);
                    results = score(lease[0], batch, access);
                    at = 0;
                }
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) throw new NoSuchElementException();
                Row in = batch.get(at);
                ScoreResult r = results.get(at++);
                Object[] inputs = layout.inputValues(in);
                Object[] v = java.util.Arrays.copyOf(inputs, inputs.length + 3);
                System.arraycopy(ScoreValues.external(r), 0, v, inputs.length, 3);
                return new GenericRowWithSchema(v, outputSchema);
            }
        };
    }

    private List<ScoreResult> score(EngineLease engine, List<Row> rows, PartitionGenerator.RowAccess<Row> access) {
        List<ScoreResult> out = new ArrayList<>(Collections.nCopies(rows.size(), null));
        List<ScoreRequest> requests = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            String prompt = access.prompt(rows.get(i));
            // routing empties a prompt that is not UTF-8 and marks it: name that, not "prompt is null"
            String problem = access.promptNotUtf8(rows.get(i)) ? Utf8Prompts.MESSAGE : FaultIsolatingRunner.problem(prompt);
            List<String> candidates = candidates(rows.get(i));
            if (problem == null && candidates == null) problem = "candidates must be a non-empty array of strings";
            if (problem != null) {
                out.set(i, new ScoreResult(Integer.toString(i), List.of(), null, problem));
            } else if (!options.chat()) {
                requests.add(ScoreRequest.ofText(Integer.toString(i), prompt, candidates));
            } else {
                try {   // a conversation is routed as its JSON (PrefixRouter) and rendered by the engine's chat template
                    requests.add(ScoreRequest.ofMessages(Integer.toString(i), ChatRows.parse(prompt), options.addGenerationPrompt(),
                            options.chatTemplate(), candidates));
                } catch (IllegalArgumentException badMessages) {
                    out.set(i, new ScoreResult(Integer.toString(i), List.of(), null, badMessages.getMessage()));
                }
            }
        }
        for (ScoreResult r : scoreIsolating(engine, requests)) out.set(Integer.parseInt(r.id()), r);
        return out;
    }

    private List<ScoreResult> scoreIsolating(EngineLease engine, List<ScoreRequest> requests) {
        if (requests.isEmpty()) return List.of();
        try {
            return engine.score(requests, options.batchOptions()).results();
        } catch (RuntimeException batchFailure) {
            if (TaskCancellation.isCancellation(batchFailure) || requests.size() == 1) {
                if (requests.size() == 1 && !TaskCancellation.isCancellation(batchFailure)) {
                    return List.of(new ScoreResult(requests.get(0).id(), List.of(), null, String.valueOf(batchFailure.getMessage())));
                }
                throw batchFailure;
            }
            List<ScoreResult> out = new ArrayList<>();
            for (ScoreRequest r : requests) out.addAll(scoreIsolating(engine, List.of(r)));
            return out;
        }
    }

    /** The row's candidates, or null when the cell is null, empty or holds a null. */
    private List<String> candidates(Row r) {
        if (r.isNullAt(candidatesColumn)) return null;
        List<Object> cells = r.getList(candidatesColumn);
        if (cells.isEmpty()) return null;
        List<String> out = new ArrayList<>(cells.size());
        for (Object c : cells) {
            if (c == null) return null;
            out.add(c.toString());
        }
        return out;
    }
}
