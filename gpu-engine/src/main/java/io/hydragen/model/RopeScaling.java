package io.hydragen.model;

/**
 * RoPE frequency scaling as Hugging Face configs describe it. {@code type} is "default" when the
 * config has none; "linear" divides positions by {@code factor}; "llama3" rescales the low
 * frequencies as Llama 3.1+ does.
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {
    public static final RopeScaling NONE = new RopeScaling("default", 1.0, 1.0, 4.0, 8192);

    public boolean isDefault() { return "default".equals(type); }
}
