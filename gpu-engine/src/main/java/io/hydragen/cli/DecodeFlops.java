package io.hydragen.cli;

import io.hydragen.model.ModelConfig;

/**
 * Floating-point operations of one decoded token, to turn decode tokens/s into an achieved FLOP rate: 2 per weight of
 * every matrix product (q|k|v, o, gate|up, down per layer, and the LM head), plus attention's 4 per query head, head
 * dimension and key (scores and values) per layer. Element-wise work (norms, RoPE, softmax, SwiGLU) is not counted.
 */
final class DecodeFlops {
    private DecodeFlops() {}

    /** @param keys keys each token attends to, on average over the decode; @param attention false for the no-attention mode */
    static double perToken(ModelConfig c, double keys, boolean attention) {
        double h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), im = c.intermediateSize();
        double perLayer = 2 * ((q + 2 * kv) * h + h * q + 2 * im * h + h * im);
        if (attention) perLayer += 4.0 * c.numHeads() * c.headDim() * keys;
        return c.numLayers() * perLayer + 2.0 * c.vocabSize() * h;
    }
}
