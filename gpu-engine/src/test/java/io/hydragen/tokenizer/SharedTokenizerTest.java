package io.hydragen.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.model.JsonFiles;
import io.hydragen.model.SharedModels;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Encodings equal transformers' on every prompt and awkward string of the reference checkpoints' expected.json. */
class SharedTokenizerTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-bpe", "tiny-llama-sp"})
    void promptsEncodeLikeTransformers(String name) {
        Path dir = SharedModels.require(name);
        JsonNode expected = JsonFiles.readObject(dir.resolve("expected.json"));
        int checked = 0;
        try (Tokenizer t = TokenizerLoader.load(dir)) {
            for (var sets = expected.get("prompt_sets").fields(); sets.hasNext(); ) {
                var set = sets.next();
                for (JsonNode prompt : set.getValue()) {
                    String text = prompt.get("text").asText();
                    assertArrayEquals(ints(prompt.get("input_ids")), t.encode(text, true), name + " " + set.getKey() + ": " + text);
                    checked++;
                }
            }
        }
        assertTrue(checked >= 15, "expected.json held only " + checked + " prompts");
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-bpe", "tiny-llama-sp"})
    void awkwardStringsEncodeLikeTransformers(String name) {
        Path dir = SharedModels.require(name);
        JsonNode cases = JsonFiles.readObject(dir.resolve("expected.json")).get("tokenizer_cases");
        assertTrue(cases.size() > 10);
        try (Tokenizer t = TokenizerLoader.load(dir)) {
            for (JsonNode c : cases) {
                String text = c.get("text").asText();
                assertArrayEquals(ints(c.get("ids")), t.encode(text, false), name + ": " + text);
            }
        }
    }

    static int[] ints(JsonNode array) {
        return Stream.iterate(0, i -> i + 1).limit(array.size()).mapToInt(i -> array.get(i).asInt()).toArray();
    }
}
