package io.hydragen.model;

import io.hydragen.tokenizer.ByteTokenizer;
import io.hydragen.tokenizer.Tokenizer;
import io.hydragen.tokenizer.TokenizerLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a model from a Hugging Face directory or a {@code synthetic:NAME} spec. */
public final class ModelLoader {
    private ModelLoader() {}

    public static final String SYNTHETIC_PREFIX = "synthetic:";
    /** Seed of every synthetic model's weights: the same name gives the same model everywhere. */
    public static final long SYNTHETIC_SEED = 0x48796472614C6C6DL;

    /**
     * Everything is checked here (config, every expected tensor present with its shape, the tokenizer loads), so a
     * broken model fails at load time rather than mid-generation.
     *
     * @param spec a directory holding config.json, tokenizer.json and model.safetensors (or its sharded index),
     *             or {@code synthetic:NAME}
     * @throws ModelException naming the file and what is wrong
     */
    public static Model load(String spec) {
        if (spec == null || spec.isBlank()) throw new ModelException("no model given (a Hugging Face directory or synthetic:NAME)");
        if (spec.startsWith(SYNTHETIC_PREFIX)) return synthetic(spec.substring(SYNTHETIC_PREFIX.length()));
        return directory(Path.of(spec));
    }

    /** A random-weight model of a named architecture (see {@link SyntheticModels}) with a {@link ByteTokenizer}. */
    public static Model synthetic(String name) {
        ModelConfig config = SyntheticModels.config(name);
        String source = SYNTHETIC_PREFIX + name;
        return new Model(source, config, new SyntheticWeights(source, config, SYNTHETIC_SEED), new ByteTokenizer());
    }

    /** A Hugging Face model directory. */
    public static Model directory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelException(dir + ": no such model directory (expected a Hugging Face model directory or synthetic:NAME)");
        }
        ModelConfig config = HfConfigReader.read(dir);
        ShardedWeights weights = ShardedWeights.open(dir);
        Tokenizer tokenizer;
        try {
            weights.validate(LlamaTensors.expected(config));
            tokenizer = TokenizerLoader.load(dir, config.vocabSize());
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
        return new Model(dir.toString(), config, weights, tokenizer);
    }
}
