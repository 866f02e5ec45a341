package io.hydragen.model;

/**
 * The architecture of a Llama-family decoder (Llama, Mistral, Qwen2), as read from config.json or
 * defined for a synthetic model.
 *
 * @param attentionBias q/k/v projections carry a bias (Qwen2)
 * @param tieWordEmbeddings the LM head reuses {@code model.embed_tokens.weight}
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int maxPositionEmbeddings,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        DType dtype) {

    public ModelConfig {
        if (numHeads % numKvHeads != 0) {
            throw new ModelException("num_attention_heads (" + numHeads + ") is not a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
    }

    /** Query heads that share one key/value head (GQA group size; 1 = multi-head, numHeads = MQA). */
    public int groupSize() { return numHeads / numKvHeads; }

    public int qDim() { return numHeads * headDim; }

    public int kvDim() { return numKvHeads * headDim; }
}
