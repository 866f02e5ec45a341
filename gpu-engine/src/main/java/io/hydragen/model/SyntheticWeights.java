package io.hydragen.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Random weights for a synthetic model, generated when a tensor is asked for (nothing is cached: a backend copies
 * each tensor once). Values depend only on the seed and the tensor name, so every process that generates
 * {@code model.layers.3.mlp.up_proj.weight} gets the same bytes, on any machine and in any order.
 *
 * <p>Scales keep activations finite through the layers: Linear weights are uniform with variance 1/fan_in (the
 * output of a projection has about the variance of its input), biases small, RMSNorm weights near 1, embeddings
 * with variance 1/hidden so a tied LM head gives logits of order 1.
 */
public final class SyntheticWeights implements WeightSource {
    /** Elements per independently seeded chunk: generation runs in parallel and stays deterministic. */
    private static final int CHUNK = 1 << 16;

    private final String source;
    private final ModelConfig config;
    private final long seed;
    private final Map<String, TensorSpec> specs = new LinkedHashMap<>();

    public SyntheticWeights(String source, ModelConfig config, long seed) {
        this.source = source;
        this.config = config;
        this.seed = seed;
        for (TensorSpec s : LlamaTensors.expected(config)) specs.put(s.name(), s);
    }

    @Override
    public boolean contains(String name) { return specs.containsKey(name); }

    @Override
    public Tensor tensor(String name, int... expectedShape) {
        TensorSpec spec = specs.get(name);
        if (spec == null) throw new ModelException(source + ": tensor " + name + " missing");
        if (expectedShape != null && expectedShape.length > 0 && !Arrays.equals(spec.shape(), expectedShape)) {
            throw new ModelException(source + ": tensor " + name + " has shape " + spec.shapeString() + ", expected " + Arrays.toString(expectedShape));
        }
        long numel = spec.numel();
        long bytes = numel * config.dtype().bytes();
        if (bytes > Integer.MAX_VALUE) {
            throw new ModelException(source + ": tensor " + name + " is " + bytes + " bytes, more than one buffer can hold");
        }
        ByteBuffer buf = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        fill(buf, (int) numel, name);
        return new Tensor(name, config.dtype(), spec.shape().clone(), buf);
    }

    private void fill(ByteBuffer buf, int numel, String name) {
        Init init = init(name);
        long nameSeed = seed ^ fnv1a(name);
        DType dtype = config.dtype();
        int chunks = (numel + CHUNK - 1) / CHUNK;
        IntStream.range(0, chunks).parallel().forEach(c -> {
            long state = mix(nameSeed + 0x9E3779B97F4A7C15L * (c + 1));
            if (state == 0) state = 1;
            int end = Math.min(numel, (c + 1) * CHUNK);
            for (int i = c * CHUNK; i < end; i++) {
                // xorshift64*: a few nanoseconds per value, plenty random for weights
                state ^= state >>> 12;
                state ^= state << 25;
                state ^= state >>> 27;
                long r = state * 0x2545F4914F6CDD1DL;
                float u = (r >>> 40) * 0x1p-24f * 2f - 1f; // uniform in [-1, 1)
                float v = init.center + init.halfWidth * u;
                switch (dtype) {
                    case F32 -> buf.putFloat(4 * i, v);
                    case F16 -> buf.putShort(2 * i, Half.floatToF16(v));
                    case BF16 -> buf.putShort(2 * i, Half.floatToBf16(v));
                }
            }
        });
    }

    /** Uniform on [center - halfWidth, center + halfWidth]; variance halfWidth^2 / 3. */
    private record Init(float center, float halfWidth) {}

    private Init init(String name) {
        if (name.endsWith("layernorm.weight") || name.equals(LlamaTensors.FINAL_NORM)) return new Init(1f, 0.1f);
        if (name.endsWith(".bias")) return new Init(0f, 0.02f);
        int[] shape = specs.get(name).shape();
        int fanIn = shape[shape.length - 1];
        return new Init(0f, (float) Math.sqrt(3.0 / fanIn));
    }

    private static long fnv1a(String s) {
        long h = 0xcbf29ce484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** splitmix64's finalizer: spreads nearby seeds far apart. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
