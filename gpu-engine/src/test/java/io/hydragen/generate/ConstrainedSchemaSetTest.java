package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.constrain.ConstrainCompileTimeTest;
import io.hydragen.constrain.ConstrainJsonSchemaTest;
import io.hydragen.constrain.Constraint;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.SharedModels;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole schema set of the constraint tests (nested objects, enums, bounded arrays, numbers, optional
 * properties, anyOf, unicode strings, $ref, an extraction schema) through the engine, sampled at temperature 1 with
 * n = 2 on random-weight models of both tokenizer kinds: the synthetic model (byte tokenizer), the byte-level BPE and
 * the SentencePiece (byte fallback) reference checkpoints. All schemas are rows of one batch sharing a prompt
 * prefix. Every {@code stop} completion parses and validates against its schema (networknt, in
 * {@link ConstrainedGenerationTest#check}); every {@code length} completion is a valid prefix of exactly
 * max_new_tokens tokens.
 */
class ConstrainedSchemaSetTest {

    static List<String> schemas() {
        List<String> all = new ArrayList<>(ConstrainJsonSchemaTest.SCHEMAS);
        all.add(ConstrainCompileTimeTest.PRODUCT);
        return all;
    }

    @ParameterizedTest
    @ValueSource(strings = {"synthetic:tiny", "tiny-llama-bpe", "tiny-llama-sp"})
    void everyStopCompletionValidatesOnRandomWeightModels(String name) {
        String spec = name.startsWith("synthetic:") ? name : SharedModels.require(name).toString();
        try (Engine e = Engine.open(ModelLoader.load(spec), EngineOptions.of(spec).withBackend("cpu").withThreads(2).withMinSharedTokens(4))) {
            List<String> schemas = schemas();
            List<GenerationRequest> reqs = new ArrayList<>();
            for (int i = 0; i < schemas.size(); i++) {
                Constraint c = Constraint.jsonSchema(ConstrainedGenerationTest.parse(schemas.get(i)));
                for (int row = 0; row < 2; row++) {
                    reqs.add(GenerationRequest.ofText("s" + i + "r" + row, "Extract the record as JSON. Record " + row + ":",
                            ConstrainedGenerationTest.sampled(160, 1000L * i + row, 2, c)));
                }
            }
            GenerationResult r = e.generate(reqs);
            assertEquals(reqs.size() * 2, r.completions().size());
            ConstrainedGenerationTest.check(e, reqs, r); // no error; stop validates; length is a valid prefix
            Set<String> completed = new HashSet<>();
            for (Completion c : r.completions()) {
                if (c.finishReason() == FinishReason.STOP) completed.add(c.requestId().substring(0, c.requestId().indexOf('r')));
            }
            // random weights rarely close an unbounded string; the bounded schemas finish
            assertTrue(completed.size() >= schemas.size() / 2, name + ": schemas with a completed sample: " + completed);
        }
    }
}
