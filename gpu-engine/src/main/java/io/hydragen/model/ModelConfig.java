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

    /** Largest values accepted per field: far above any published checkpoint, far below what overflows an index. */
    public static final int MAX_VOCAB = 1 << 24, MAX_HIDDEN = 1 << 20, MAX_INTERMEDIATE = 1 << 22, MAX_LAYERS = 4096,
            MAX_HEADS = 1 << 14, MAX_HEAD_DIM = 1 << 12;

    /**
     * @throws ModelException naming the config.json field and its value when a size is not positive, beyond its
     *                        maximum, or a product of sizes (computed in long) overflows what the engine indexes
     */
    public ModelConfig {
        if (modelType == null) throw new ModelException("model_type is missing");
        checkRange("vocab_size", vocabSize, MAX_VOCAB);
        checkRange("hidden_size", hiddenSize, MAX_HIDDEN);
        checkRange("intermediate_size", intermediateSize, MAX_INTERMEDIATE);
        checkRange("num_hidden_layers", numLayers, MAX_LAYERS);
        checkRange("num_attention_heads", numHeads, MAX_HEADS);
        checkRange("num_key_value_heads", numKvHeads, MAX_HEADS);
        checkRange("head_dim", headDim, MAX_HEAD_DIM);
        checkRange("max_position_embeddings", maxPositionEmbeddings, Integer.MAX_VALUE);
        if (headDim % 2 != 0) throw new ModelException("head_dim " + headDim + " must be even (rotary embeddings rotate pairs)");
        long q = (long) numHeads * headDim, kv = (long) numKvHeads * headDim;
        if (q + 2 * kv > Integer.MAX_VALUE) {
            throw new ModelException("num_attention_heads × head_dim (" + numHeads + " × " + headDim + " = " + q + ") plus twice num_key_value_heads × head_dim ("
                    + kv + ") exceeds " + Integer.MAX_VALUE);
        }
        if (!(rmsNormEps > 0) || Double.isInfinite(rmsNormEps)) throw new ModelException("rms_norm_eps must be a positive number, found " + rmsNormEps);
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta)) throw new ModelException("rope_theta must be a positive number, found " + ropeTheta);
        if (numHeads % numKvHeads != 0) {
            throw new ModelException("num_attention_heads (" + numHeads + ") is not a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
    }

    private static void checkRange(String field, int value, int max) {
        if (value <= 0 || value > max) {
            throw new ModelException(field + " " + value + " is out of range: it must be between 1 and " + max);
        }
    }

    /**
     * Parameters the config implies, in long (embeddings, every layer's projections and norms, the final norm, and the
     * LM head unless tied): what a backend multiplies by bytes per element to size the weights before allocating.
     */
    public long parameterCount() {
        long h = hiddenSize, q = qDim(), kv = kvDim(), im = intermediateSize, v = vocabSize;
        long perLayer = (q + 2 * kv) * h + h * q + 3 * im * h + 2 * h;
        return perLayer * numLayers + v * h * (tieWordEmbeddings ? 1 : 2) + h;
    }

    /** Query heads that share one key/value head (GQA group size; 1 = multi-head, numHeads = MQA). */
    public int groupSize() { return numHeads / numKvHeads; }

    public int qDim() { return numHeads * headDim; }

    public int kvDim() { return numKvHeads * headDim; }
}
