package io.hydragen.model;

/**
 * Where a model's tensors come from, by their Hugging Face names
 * ({@code model.layers.0.self_attn.q_proj.weight}): safetensors files or a synthetic generator.
 */
public interface WeightSource extends AutoCloseable {

    boolean contains(String name);

    /** The tensor, checked against the expected shape; a {@link ModelException} naming file and tensor otherwise. */
    Tensor tensor(String name, int... expectedShape);

    @Override
    default void close() {}
}
