package io.hydragen.model;

import io.hydragen.tokenizer.ByteTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small checkpoints written at test time: a valid one from a config, or raw safetensors bytes to corrupt. */
final class Checkpoints {
    private Checkpoints() {}

    static ModelConfig config(String type, int heads, int kvHeads, boolean tied, boolean bias) {
        return new ModelConfig(type, 300, 32, 48, 2, heads, kvHeads, 8, 256, 1e-5, 10000.0, RopeScaling.NONE, tied, bias, DType.F32);
    }

    /** A random-weight model of this architecture with the byte tokenizer. */
    static Model model(ModelConfig c) {
        return new Model("test:" + c.modelType(), c, new SyntheticWeights("test", c, 11), new ByteTokenizer());
    }

    /** A complete, valid Hugging Face directory. */
    static Path write(Path dir, ModelConfig c, DType dtype) {
        ModelExporter.saveHuggingFace(model(c), dir, dtype);
        return dir;
    }

    /** A safetensors file with this header length field, header text and data size (zeros). */
    static void raw(Path file, long headerLength, String header, long dataBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + (int) dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(h);
        try {
            Files.write(file, b.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void raw(Path file, String header, long dataBytes) {
        raw(file, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    static void writeString(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String readString(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
