package io.hydragen.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Absurd sizes in config.json are refused in one line naming the field, before any list or buffer is built: through
 * {@link HfConfigReader} and through loading a model directory whose weights are fine.
 */
class ConfigValidationTest {
    @TempDir Path dir;

    /** {field, value, what the message must say}. */
    static final List<String[]> ABSURD = List.of(
            new String[] {"num_hidden_layers", "2147483647", "num_hidden_layers 2147483647 is out of range: it must be between 1 and 4096"},
            new String[] {"num_attention_heads", "65536", "num_attention_heads 65536 is out of range"},
            new String[] {"head_dim", "1073741824", "head_dim 1073741824 is out of range"},
            new String[] {"head_dim", "15", "head_dim 15 must be even"},
            new String[] {"vocab_size", "2000000000", "vocab_size 2000000000 is out of range"},
            new String[] {"vocab_size", "0", "vocab_size must be a positive integer, found 0"},
            new String[] {"hidden_size", "-64", "hidden_size must be a positive integer, found -64"},
            new String[] {"intermediate_size", "2147483647", "intermediate_size 2147483647 is out of range"},
            new String[] {"intermediate_size", "1e12", "intermediate_size must be a positive integer, found 1.0E12"},
            new String[] {"num_key_value_heads", "0", "num_key_value_heads must be a positive integer, found 0"},
            new String[] {"num_hidden_layers", "3000000000", "num_hidden_layers must be a positive integer, found 3000000000"},
            new String[] {"max_position_embeddings", "-1", "max_position_embeddings must be a positive integer, found -1"},
            new String[] {"rms_norm_eps", "-1e-5", "rms_norm_eps must be a positive number, found -1.0E-5"});

    private static String config(String field, String value) {
        StringBuilder b = new StringBuilder("{\"model_type\": \"llama\"");
        String[][] base = {{"vocab_size", "300"}, {"hidden_size", "32"}, {"intermediate_size", "48"}, {"num_hidden_layers", "2"},
                {"num_attention_heads", "4"}, {"num_key_value_heads", "2"}, {"head_dim", "8"}, {"max_position_embeddings", "256"},
                {"rms_norm_eps", "1e-5"}, {"torch_dtype", "\"float32\""}};
        for (String[] f : base) b.append(", \"").append(f[0]).append("\": ").append(f[0].equals(field) ? value : f[1]);
        return b.append('}').toString();
    }

    @Test
    void eachAbsurdSizeIsOneLineNamingTheFieldThroughTheReader() {
        for (String[] c : ABSURD) {
            Checkpoints.writeString(dir.resolve("config.json"), config(c[0], c[1]));
            String m = assertThrows(ModelException.class, () -> HfConfigReader.read(dir), c[0] + " " + c[1]).getMessage();
            assertEquals(1, m.lines().count(), m);
            assertTrue(m.startsWith(dir.resolve("config.json") + ": ") && m.contains(c[2]), m);
        }
        Checkpoints.writeString(dir.resolve("config.json"), config("num_hidden_layers", "2"));
        assertEquals(2, HfConfigReader.read(dir).numLayers(), "the base config itself is fine");
    }

    @Test
    void aModelDirectoryWithAnAbsurdConfigIsRefusedAtLoadTime() {
        ModelConfig ok = Checkpoints.config("llama", 4, 2, false, false);
        Path model = Checkpoints.write(dir.resolve("m"), ok, DType.F32);
        ModelLoader.load(model.toString()).close();
        for (String[] c : ABSURD) {
            Checkpoints.writeString(model.resolve("config.json"), config(c[0], c[1]));
            String m = assertThrows(ModelException.class, () -> ModelLoader.load(model.toString()), c[0]).getMessage();
            assertEquals(1, m.lines().count(), m);
            assertTrue(m.contains(c[2]), m);
        }
    }

    @Test
    void programmaticConfigsAreValidatedTooAndTheParameterCountIsInLong() {
        ModelException e = assertThrows(ModelException.class, () -> new ModelConfig("llama", 300, 32, 48, Integer.MAX_VALUE, 4, 2, 8, 256,
                1e-5, 1e4, RopeScaling.NONE, false, false, DType.F32));
        assertTrue(e.getMessage().startsWith("num_hidden_layers 2147483647"), e.getMessage());
        assertThrows(ModelException.class, () -> new ModelConfig("llama", 300, 32, 48, 2, 4, 0, 8, 256, 1e-5, 1e4, RopeScaling.NONE, false, false, DType.F32),
                "zero KV heads is refused, not a division by zero");
        ModelConfig big = SyntheticModels.config("llama-8b");
        assertEquals(8_030_261_248L, big.parameterCount(), "Llama 3 8B");
    }
}
