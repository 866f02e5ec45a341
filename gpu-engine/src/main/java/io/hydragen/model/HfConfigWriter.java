package io.hydragen.model;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Writes a {@link ModelConfig} as a classic-layout Hugging Face {@code config.json} that {@link HfConfigReader} reads back. */
public final class HfConfigWriter {
    private HfConfigWriter() {}

    /**
     * @param dtype   the dtype the weights are stored in
     * @param bos     BOS id, or -1 for none
     * @param eos     EOS ids (written as an int when there is one)
     */
    public static ObjectNode toJson(ModelConfig c, DType dtype, int bos, int[] eos) {
        ObjectNode n = JsonFiles.MAPPER.createObjectNode();
        n.putArray("architectures").add(architecture(c.modelType()));
        n.put("model_type", c.modelType());
        n.put("vocab_size", c.vocabSize());
        n.put("hidden_size", c.hiddenSize());
        n.put("intermediate_size", c.intermediateSize());
        n.put("num_hidden_layers", c.numLayers());
        n.put("num_attention_heads", c.numHeads());
        n.put("num_key_value_heads", c.numKvHeads());
        n.put("head_dim", c.headDim());
        n.put("hidden_act", "silu");
        n.put("max_position_embeddings", c.maxPositionEmbeddings());
        n.put("rms_norm_eps", c.rmsNormEps());
        n.put("rope_theta", c.ropeTheta());
        RopeScaling rs = c.ropeScaling();
        if (rs == null || rs.isDefault()) {
            n.putNull("rope_scaling");
        } else {
            ObjectNode r = n.putObject("rope_scaling");
            r.put("rope_type", rs.type());
            r.put("factor", rs.factor());
            if ("llama3".equals(rs.type())) {
                r.put("low_freq_factor", rs.lowFreqFactor());
                r.put("high_freq_factor", rs.highFreqFactor());
                r.put("original_max_position_embeddings", rs.originalMaxPositionEmbeddings());
            }
        }
        n.put("tie_word_embeddings", c.tieWordEmbeddings());
        if (!"qwen2".equals(c.modelType())) n.put("attention_bias", c.attentionBias());
        n.put("mlp_bias", false);
        n.put("torch_dtype", torchName(dtype));
        if (bos >= 0) n.put("bos_token_id", bos);
        putIds(n, "eos_token_id", eos);
        return n;
    }

    /** generation_config.json: where transformers and {@code TokenizerLoader} look for BOS/EOS first. */
    public static ObjectNode generationConfig(int bos, int[] eos) {
        ObjectNode n = JsonFiles.MAPPER.createObjectNode();
        if (bos >= 0) n.put("bos_token_id", bos);
        putIds(n, "eos_token_id", eos);
        return n;
    }

    private static void putIds(ObjectNode n, String field, int[] ids) {
        if (ids == null || ids.length == 0) return;
        if (ids.length == 1) {
            n.put(field, ids[0]);
        } else {
            var a = n.putArray(field);
            for (int id : ids) a.add(id);
        }
    }

    private static String architecture(String modelType) {
        return switch (modelType) {
            case "mistral" -> "MistralForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            default -> "LlamaForCausalLM";
        };
    }

    private static String torchName(DType d) {
        return switch (d) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        };
    }
}
