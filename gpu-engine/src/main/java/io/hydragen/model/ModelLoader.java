package io.hydragen.model;

/** Opens a model from a Hugging Face directory or a {@code synthetic:NAME} spec. */
public final class ModelLoader {
    private ModelLoader() {}

    /**
     * @param spec a directory holding config.json, tokenizer.json and model.safetensors (or its sharded index),
     *             or {@code synthetic:NAME}
     * @throws ModelException naming the file and what is wrong
     */
    public static Model load(String spec) {
        throw new UnsupportedOperationException("model loading under construction");
    }
}
