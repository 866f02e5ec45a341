package io.hydragen.model;

/** Element types a checkpoint may store. */
public enum DType {
    F32(4), F16(2), BF16(2);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    public int bytes() { return bytes; }

    /** Parses the dtype names used by safetensors headers and config.json ("bfloat16", "BF16", ...). */
    public static DType parse(String name) {
        switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "f32": case "float32": case "float": return F32;
            case "f16": case "float16": case "half": return F16;
            case "bf16": case "bfloat16": return BF16;
            default: throw new IllegalArgumentException("unsupported dtype '" + name + "' (supported: F32, F16, BF16)");
        }
    }
}
