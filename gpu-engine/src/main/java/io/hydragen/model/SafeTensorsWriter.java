package io.hydragen.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Writes safetensors files: 8-byte little-endian header length, a JSON header padded with spaces to a multiple of
 * 8 bytes (so tensor data stays aligned), then the tensors back to back. Tensor bytes are fetched one at a time,
 * so a model larger than memory can be written.
 */
public final class SafeTensorsWriter {
    private SafeTensorsWriter() {}

    /** A tensor to write; {@code data} is asked for once, when its turn comes, and must hold exactly numel*dtype bytes. */
    public record Entry(String name, DType dtype, int[] shape, Supplier<ByteBuffer> data) {
        public long byteSize() {
            long n = dtype.bytes();
            for (int d : shape) n *= d;
            return n;
        }

        /** A tensor written as is. */
        public static Entry of(Tensor t) { return new Entry(t.name(), t.dtype(), t.shape(), t::data); }

        /** A tensor written in another dtype (converted when written). */
        public static Entry converted(String name, int[] shape, DType dtype, Supplier<Tensor> tensor) {
            return new Entry(name, dtype, shape, () -> DTypeConverter.convert(tensor.get(), dtype));
        }
    }

    public static void write(Path file, List<Entry> entries) { write(file, entries, Map.of("format", "pt")); }

    /** Writes the file, replacing any existing one. */
    public static void write(Path file, List<Entry> entries, Map<String, String> metadata) {
        byte[] header = header(entries, metadata);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            writeFully(ch, len);
            writeFully(ch, ByteBuffer.wrap(header));
            for (Entry e : entries) {
                ByteBuffer data = e.data().get().duplicate();
                data.clear(); // the whole buffer, whatever position a caller left it at
                if (data.remaining() != e.byteSize()) {
                    throw new IllegalArgumentException("tensor " + e.name() + ": " + data.remaining() + " bytes given, shape "
                            + Arrays.toString(e.shape()) + " of " + e.dtype() + " needs " + e.byteSize());
                }
                writeFully(ch, data);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(file + ": cannot write (" + ex.getMessage() + ")", ex);
        }
    }

    static byte[] header(List<Entry> entries, Map<String, String> metadata) {
        ObjectNode root = JsonFiles.MAPPER.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Entry e : entries) {
            if (root.has(e.name())) throw new IllegalArgumentException("tensor " + e.name() + " given twice");
            ObjectNode t = root.putObject(e.name());
            t.put("dtype", e.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (int d : e.shape()) shape.add(d);
            long end = offset + e.byteSize();
            t.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JsonFiles.MAPPER.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
