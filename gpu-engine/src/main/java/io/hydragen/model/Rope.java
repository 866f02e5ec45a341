package io.hydragen.model;

/**
 * Rotary position embedding frequencies, with every scaling the loader accepts. Backends rotate pairs
 * (x[i], x[i + d/2]) by angle position * invFreq[i], as Hugging Face's Llama does ("rotate_half").
 */
public final class Rope {
    private Rope() {}

    /** Inverse frequency per rotated pair, length headDim/2, after rope scaling. */
    public static double[] inverseFrequencies(ModelConfig c) {
        int half = c.headDim() / 2;
        double[] inv = new double[half];
        for (int i = 0; i < half; i++) inv[i] = 1.0 / Math.pow(c.ropeTheta(), (2.0 * i) / c.headDim());
        RopeScaling s = c.ropeScaling();
        if (s == null || s.isDefault()) return inv;
        switch (s.type()) {
            case "linear" -> { for (int i = 0; i < half; i++) inv[i] /= s.factor(); }
            case "llama3" -> llama3(inv, s);
            default -> throw new ModelException("unsupported rope scaling '" + s.type() + "'");
        }
        return inv;
    }

    /** Llama 3.1: long wavelengths slowed down by {@code factor}, short ones kept, a smooth ramp between. */
    private static void llama3(double[] inv, RopeScaling s) {
        double lowFreqWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highFreqWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowFreqWavelen) {
                inv[i] = inv[i] / s.factor();
            } else if (wavelen >= highFreqWavelen) {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                inv[i] = (1 - smooth) * inv[i] / s.factor() + smooth * inv[i];
            }
        }
    }
}
