package io.hydragen.spark.sql;

import io.hydragen.generate.Completion;
import io.hydragen.generate.FinishReason;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.GenerationResult;
import io.hydragen.spark.plugin.EngineLease;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.seed.RowSeeds;
import io.hydragen.spark.plugin.ExecutorEngines;
import io.hydragen.spark.plugin.HydragenMetrics;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;

import java.io.Serializable;
import java.util.List;

/**
 * The scalar {@code hydragen_complete(prompt [, options])}: one completion for one prompt, for ad-hoc calls
 * ({@code SELECT hydragen_complete('Translate to French: cheese')}). It runs on the executors' shared engines, one
 * prompt per engine call; for tables use {@code hydragen_generate}, which batches rows that share a prefix.
 * Returns the completion text, or NULL for a null prompt, a prompt that is not valid UTF-8, or a prompt the engine rejects.
 *
 * <p>Declared non-deterministic only so that Spark does not constant-fold a literal prompt on the driver; within one
 * plan the result is reproducible (the seed comes from the options seed, drawn at analysis when the call gives none,
 * and the prompt); pass {@code seed} for the same text across queries.
 */
final class CompleteFunction implements ScalarFunction<UTF8String>, Serializable {
    static final String NAME = "hydragen_complete";

    private final GenerateOptions options;

    /** The options were read at analysis ({@link CompleteFunctionBuilder}); the call's only input is the prompt. */
    CompleteFunction(GenerateOptions options) {
        this.options = options;
    }

    @Override
    public DataType[] inputTypes() { return new DataType[]{DataTypes.StringType}; }

    @Override
    public DataType resultType() { return DataTypes.StringType; }

    @Override
    public String name() { return NAME; }

    @Override
    public boolean isDeterministic() { return false; }

    @Override
    public UTF8String produceResult(InternalRow input) {
        // null, as for a null prompt, when its bytes are not UTF-8: they would reach the model as U+FFFD
        if (input.isNullAt(0) || !input.getUTF8String(0).isValid()) return null;
        String prompt = input.getUTF8String(0).toString();
        if (prompt.isEmpty()) return null;
        GenerationResult result;
        // the engine is leased for this call only: a query's other models can evict it between rows
        try (EngineLease engine = ExecutorEngines.acquire(options)) {
            GenerationRequest req = GenerationRequest.ofText("0", prompt,
                    options.samplingParams(RowSeeds.forPrompt(options.seed(), prompt, 0), options.generationDefaults(engine.engine())));
            result = engine.generate(List.of(req), options.batchOptions());
        }
        Completion c = result.completions().get(0);
        boolean error = c.finishReason() == FinishReason.ERROR;
        HydragenMetrics.get().record(result.stats(), 1, error ? 1 : 0,
                error ? java.util.Map.of(String.valueOf(c.error()), 1L) : java.util.Map.of(), error ? 0 : c.promptTokens());
        return c.finishReason() == FinishReason.ERROR ? null : UTF8String.fromString(c.text());
    }
}
