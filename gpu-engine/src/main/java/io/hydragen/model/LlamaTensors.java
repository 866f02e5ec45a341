package io.hydragen.model;

import java.util.ArrayList;
import java.util.List;

/**
 * The tensors a Llama-family checkpoint (Llama, Mistral, Qwen2) holds, under Hugging Face names. The forward
 * pass looks weights up through these helpers so that names are spelled in one place.
 */
public final class LlamaTensors {
    private LlamaTensors() {}

    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    public static final String FINAL_NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";

    public static String layer(int i, String suffix) { return "model.layers." + i + "." + suffix; }

    public static String inputNorm(int i) { return layer(i, "input_layernorm.weight"); }

    public static String postAttentionNorm(int i) { return layer(i, "post_attention_layernorm.weight"); }

    /** @param proj one of q, k, v, o */
    public static String attnWeight(int i, String proj) { return layer(i, "self_attn." + proj + "_proj.weight"); }

    /** @param proj one of q, k, v (and o for Llama with attention_bias) */
    public static String attnBias(int i, String proj) { return layer(i, "self_attn." + proj + "_proj.bias"); }

    /** @param proj one of gate, up, down */
    public static String mlpWeight(int i, String proj) { return layer(i, "mlp." + proj + "_proj.weight"); }

    /** The tensor that maps the final hidden state to logits: {@code lm_head.weight}, or the embedding when tied. */
    public static String lmHead(ModelConfig c) { return c.tieWordEmbeddings() ? EMBED_TOKENS : LM_HEAD; }

    /**
     * Whether {@code o_proj} carries a bias too. Hugging Face's Llama and Mistral put {@code attention_bias} on all
     * four projections; Qwen2 has q/k/v biases only.
     */
    public static boolean hasOutputBias(ModelConfig c) {
        return c.attentionBias() && !"qwen2".equals(c.modelType());
    }

    /** Every tensor the forward pass reads, in checkpoint order, with its expected shape. */
    public static List<TensorSpec> expected(ModelConfig c) {
        int h = c.hiddenSize(), v = c.vocabSize(), inter = c.intermediateSize();
        int q = c.qDim(), kv = c.kvDim();
        List<TensorSpec> out = new ArrayList<>();
        out.add(new TensorSpec(EMBED_TOKENS, new int[] {v, h}));
        for (int i = 0; i < c.numLayers(); i++) {
            out.add(new TensorSpec(inputNorm(i), new int[] {h}));
            out.add(new TensorSpec(attnWeight(i, "q"), new int[] {q, h}));
            out.add(new TensorSpec(attnWeight(i, "k"), new int[] {kv, h}));
            out.add(new TensorSpec(attnWeight(i, "v"), new int[] {kv, h}));
            out.add(new TensorSpec(attnWeight(i, "o"), new int[] {h, q}));
            if (c.attentionBias()) {
                out.add(new TensorSpec(attnBias(i, "q"), new int[] {q}));
                out.add(new TensorSpec(attnBias(i, "k"), new int[] {kv}));
                out.add(new TensorSpec(attnBias(i, "v"), new int[] {kv}));
                if (hasOutputBias(c)) out.add(new TensorSpec(attnBias(i, "o"), new int[] {h}));
            }
            out.add(new TensorSpec(postAttentionNorm(i), new int[] {h}));
            out.add(new TensorSpec(mlpWeight(i, "gate"), new int[] {inter, h}));
            out.add(new TensorSpec(mlpWeight(i, "up"), new int[] {inter, h}));
            out.add(new TensorSpec(mlpWeight(i, "down"), new int[] {h, inter}));
        }
        out.add(new TensorSpec(FINAL_NORM, new int[] {h}));
        if (!c.tieWordEmbeddings()) out.add(new TensorSpec(LM_HEAD, new int[] {v, h}));
        return out;
    }
}
