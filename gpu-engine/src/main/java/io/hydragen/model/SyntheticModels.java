package io.hydragen.model;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named architectures for {@code synthetic:NAME} models: real shapes with random weights, so the engine can be run
 * and benchmarked at the size of a real model without downloading one.
 */
public final class SyntheticModels {
    private SyntheticModels() {}

    private static final RopeScaling LLAMA_3_2_SCALING = new RopeScaling("llama3", 32.0, 1.0, 4.0, 8192);
    /** Llama 3 8B shapes with Llama 3.1's rope scaling (factor 8), so its 131072-position context is usable. */
    private static final RopeScaling LLAMA_3_1_SCALING = new RopeScaling("llama3", 8.0, 1.0, 4.0, 8192);

    private static final Map<String, ModelConfig> CONFIGS = new LinkedHashMap<>();

    static {
        CONFIGS.put("tiny", new ModelConfig("llama", 512, 64, 172, 2, 4, 2, 16, 4096, 1e-5, 10000.0,
                RopeScaling.NONE, false, false, DType.F32));
        CONFIGS.put("cpu-bench", new ModelConfig("llama", 32000, 512, 1536, 8, 8, 2, 64, 32768, 1e-5, 10000.0,
                RopeScaling.NONE, false, false, DType.F32));
        CONFIGS.put("llama-1b", new ModelConfig("llama", 128256, 2048, 8192, 16, 32, 8, 64, 131072, 1e-5, 500000.0,
                LLAMA_3_2_SCALING, true, false, DType.BF16));
        CONFIGS.put("llama-8b", new ModelConfig("llama", 128256, 4096, 14336, 32, 32, 8, 128, 131072, 1e-5, 500000.0,
                LLAMA_3_1_SCALING, false, false, DType.BF16));
        CONFIGS.put("codellama-13b", new ModelConfig("llama", 32016, 5120, 13824, 40, 40, 40, 128, 16384, 1e-5, 1e6,
                RopeScaling.NONE, false, false, DType.BF16));
    }

    /** Known names, in order of size. */
    public static java.util.Set<String> names() { return CONFIGS.keySet(); }

    /** The architecture of {@code synthetic:name}; a {@link ModelException} listing the known names otherwise. */
    public static ModelConfig config(String name) {
        ModelConfig c = CONFIGS.get(name);
        if (c == null) {
            throw new ModelException("synthetic:" + name + ": unknown synthetic model (known: " + String.join(", ", CONFIGS.keySet()) + ")");
        }
        return c;
    }
}
