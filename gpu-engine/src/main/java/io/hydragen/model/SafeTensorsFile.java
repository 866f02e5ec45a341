package io.hydragen.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * One safetensors file, opened for memory-mapped reads: 8 bytes little-endian header length, the JSON header,
 * then the raw tensor data. The header is validated on open; tensor bytes are mapped on demand and never copied
 * onto the heap.
 */
public final class SafeTensorsFile implements AutoCloseable {
    /** The safetensors format caps headers at 100 MB; larger claims are corrupt, and are refused before allocating. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final SafeTensorsHeader header;

    private SafeTensorsFile(Path path, FileChannel channel, long dataStart, SafeTensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.header = header;
    }

    /** Opens and validates the file; a one-line {@link ModelException} naming it otherwise. */
    public static SafeTensorsFile open(Path path) {
        if (!Files.exists(path)) throw new ModelException(path + ": missing file");
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new ModelException(path + ": cannot open (" + e.getMessage() + ")", e);
        }
        try {
            long size = ch.size();
            if (size < 8) throw new ModelException(path + ": too short for a safetensors file (" + size + " bytes)");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            // Unsigned in the format: a negative long here is a length beyond 2^63, larger than any file.
            if (headerLen < 0 || headerLen > size - 8) {
                throw new ModelException(path + ": header length " + Long.toUnsignedString(headerLen) + " is larger than the file (" + size + " bytes)");
            }
            if (headerLen > MAX_HEADER_BYTES) {
                throw new ModelException(path + ": header length " + headerLen + " exceeds the safetensors limit of " + MAX_HEADER_BYTES + " bytes");
            }
            ByteBuffer json = ByteBuffer.allocate((int) headerLen);
            readFully(ch, json, 8);
            long dataStart = 8 + headerLen;
            SafeTensorsHeader header = SafeTensorsHeader.parse(path.toString(), json.array(), size - dataStart);
            return new SafeTensorsFile(path, ch, dataStart, header);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new ModelException(path + ": cannot read (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    public Path path() { return path; }

    public SafeTensorsHeader header() { return header; }

    public boolean contains(String name) { return header.entries().containsKey(name); }

    /** Throws unless the tensor is present with exactly this shape. */
    public SafeTensorsHeader.Entry check(String name, int... expectedShape) {
        SafeTensorsHeader.Entry e = header.entries().get(name);
        if (e == null) throw new ModelException(path + ": tensor " + name + " missing");
        if (expectedShape != null && expectedShape.length > 0 && !Arrays.equals(e.shape(), expectedShape)) {
            throw new ModelException(path + ": tensor " + name + " has shape " + e.shapeString() + ", expected " + Arrays.toString(expectedShape));
        }
        return e;
    }

    /** Maps the tensor's bytes read-only, little-endian; checked against the expected shape when one is given. */
    public Tensor tensor(String name, int... expectedShape) {
        SafeTensorsHeader.Entry e = check(name, expectedShape);
        long len = e.byteSize();
        if (len > Integer.MAX_VALUE) {
            throw new ModelException(path + ": tensor " + name + " is " + len + " bytes, more than the 2 GiB one memory mapping can hold");
        }
        try {
            ByteBuffer buf = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), len).order(ByteOrder.LITTLE_ENDIAN);
            return new Tensor(name, e.dtype(), e.shape().clone(), buf);
        } catch (IOException ex) {
            throw new ModelException(path + ": cannot map tensor " + name + " (" + ex.getMessage() + ")", ex);
        }
    }

    @Override
    public void close() { closeQuietly(channel); }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) throw new IOException("unexpected end of file");
            pos += n;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing useful to do: the mappings already handed out stay valid
        }
    }
}
