package io.hydragen.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a Hugging Face {@code config.json} of a Llama, Mistral or Qwen2 checkpoint into a {@link ModelConfig}.
 * Understands both layouts published checkpoints use: the classic one ({@code rope_theta}, {@code rope_scaling},
 * {@code torch_dtype} at top level) and the transformers 5 one ({@code rope_parameters}, {@code dtype}).
 */
public final class HfConfigReader {
    private HfConfigReader() {}

    public static final List<String> SUPPORTED_TYPES = List.of("llama", "mistral", "qwen2");

    /** Reads {@code dir/config.json}. */
    public static ModelConfig read(Path dir) {
        Path file = dir.resolve("config.json");
        return parse(file.toString(), JsonFiles.readObject(file));
    }

    /** Parses an already-read config object; {@code where} names the file in errors. */
    public static ModelConfig parse(String where, JsonNode root) {
        Fields f = new Fields(where, root);
        String modelType = f.string("model_type", null);
        if (modelType == null) throw new ModelException(where + ": no model_type (supported: " + String.join(", ", SUPPORTED_TYPES) + ")");
        if (!SUPPORTED_TYPES.contains(modelType)) {
            throw new ModelException(where + ": unsupported model_type '" + modelType + "' (supported: " + String.join(", ", SUPPORTED_TYPES) + ")");
        }
        String act = f.string("hidden_act", "silu");
        if (!"silu".equals(act)) throw new ModelException(where + ": unsupported hidden_act '" + act + "' (supported: silu)");
        if (f.bool("mlp_bias", false)) throw new ModelException(where + ": mlp_bias=true is not supported");

        int vocab = f.positiveInt("vocab_size");
        int hidden = f.positiveInt("hidden_size");
        int inter = f.positiveInt("intermediate_size");
        int layers = f.positiveInt("num_hidden_layers");
        int heads = f.positiveInt("num_attention_heads");
        int kvHeads = f.has("num_key_value_heads") ? f.positiveInt("num_key_value_heads") : heads;
        int headDim;
        if (f.has("head_dim")) {
            headDim = f.positiveInt("head_dim");
        } else {
            if (hidden % heads != 0) throw new ModelException(where + ": hidden_size " + hidden + " is not a multiple of num_attention_heads " + heads + " and no head_dim is given");
            headDim = hidden / heads;
        }
        int maxPos = f.has("max_position_embeddings") ? f.positiveInt("max_position_embeddings") : defaultMaxPositions(modelType);
        // Sliding-window attention limits how far back a token may look. The engine attends to the whole context,
        // which matches sliding-window attention exactly as long as the context fits in the window; so the window
        // becomes the context limit, and longer prompts get a clear error instead of silently different output.
        boolean windowed = "mistral".equals(modelType) || ("qwen2".equals(modelType) && f.bool("use_sliding_window", false));
        if (windowed && f.has("sliding_window")) {
            int window = f.positiveInt("sliding_window");
            if (window < maxPos) maxPos = window;
        }
        double eps = f.positiveDouble("rms_norm_eps", 1e-6);
        boolean tie = f.bool("tie_word_embeddings", false);
        // Qwen2 always has q/k/v biases; Llama and Mistral have them only with attention_bias (on o_proj too).
        boolean bias = "qwen2".equals(modelType) || f.bool("attention_bias", false);
        DType dtype = parseDType(where, f.has("dtype") ? f.string("dtype", null) : f.string("torch_dtype", "float32"));

        double theta;
        RopeScaling scaling;
        JsonNode params = root.get("rope_parameters");
        if (params != null && !params.isNull()) {
            if (!params.isObject()) throw new ModelException(where + ": rope_parameters is not an object");
            Fields p = new Fields(where + " rope_parameters", params);
            theta = p.positiveDouble("rope_theta", f.positiveDouble("rope_theta", 10000.0));
            scaling = ropeScaling(where, p, maxPos);
        } else {
            theta = f.positiveDouble("rope_theta", 10000.0);
            JsonNode rs = root.get("rope_scaling");
            if (rs == null || rs.isNull()) {
                scaling = RopeScaling.NONE;
            } else {
                if (!rs.isObject()) throw new ModelException(where + ": rope_scaling is not an object");
                scaling = ropeScaling(where, new Fields(where + " rope_scaling", rs), maxPos);
            }
        }
        try {
            return new ModelConfig(modelType, vocab, hidden, inter, layers, heads, kvHeads, headDim, maxPos, eps, theta,
                    scaling, tie, bias, dtype);
        } catch (ModelException e) {
            throw new ModelException(where + ": " + e.getMessage(), e);
        }
    }

    private static RopeScaling ropeScaling(String where, Fields p, int maxPos) {
        String type = p.has("rope_type") ? p.string("rope_type", null) : p.string("type", "default");
        switch (type) {
            case "default":
                return RopeScaling.NONE;
            case "linear":
                return new RopeScaling("linear", p.positiveDouble("factor", null), 1.0, 4.0, maxPos);
            case "llama3":
                return new RopeScaling("llama3", p.positiveDouble("factor", null), p.positiveDouble("low_freq_factor", null),
                        p.positiveDouble("high_freq_factor", null), p.positiveInt("original_max_position_embeddings"));
            default:
                throw new ModelException(where + ": unsupported rope scaling type '" + type + "' (supported: default, linear, llama3)");
        }
    }

    private static int defaultMaxPositions(String modelType) {
        // The defaults of transformers' LlamaConfig, MistralConfig and Qwen2Config.
        return switch (modelType) {
            case "mistral" -> 4096 * 32;
            case "qwen2" -> 32768;
            default -> 2048;
        };
    }

    private static DType parseDType(String where, String name) {
        try {
            return DType.parse(name);
        } catch (IllegalArgumentException e) {
            throw new ModelException(where + ": " + e.getMessage());
        }
    }

    /** Typed access to one JSON object's fields with errors that name the file and the field. */
    private record Fields(String where, JsonNode node) {
        boolean has(String name) { return !JsonFiles.isMissing(node, name); }

        String string(String name, String dflt) {
            if (!has(name)) return dflt;
            JsonNode n = node.get(name);
            if (!n.isTextual()) throw new ModelException(where + ": " + name + " must be a string, found " + n);
            return n.asText();
        }

        boolean bool(String name, boolean dflt) {
            if (!has(name)) return dflt;
            JsonNode n = node.get(name);
            if (!n.isBoolean()) throw new ModelException(where + ": " + name + " must be true or false, found " + n);
            return n.asBoolean();
        }

        int positiveInt(String name) {
            if (!has(name)) throw new ModelException(where + ": missing " + name);
            JsonNode n = node.get(name);
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
                throw new ModelException(where + ": " + name + " must be a positive integer, found " + n);
            }
            return n.asInt();
        }

        double positiveDouble(String name, Double dflt) {
            if (!has(name)) {
                if (dflt == null) throw new ModelException(where + ": missing " + name);
                return dflt;
            }
            JsonNode n = node.get(name);
            if (!n.isNumber() || !(n.asDouble() > 0) || Double.isInfinite(n.asDouble())) {
                throw new ModelException(where + ": " + name + " must be a positive number, found " + n);
            }
            return n.asDouble();
        }
    }
}
