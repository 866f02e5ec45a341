package io.hydragen.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each way a safetensors file can be broken gives a one-line message naming the file and the problem. */
class SafeTensorsValidationTest {
    @TempDir Path dir;

    private String openError(Path file) {
        String msg = assertThrows(ModelException.class, () -> SafeTensorsFile.open(file).close()).getMessage();
        assertTrue(msg.startsWith(file + ": "), msg);
        assertEquals(1, msg.lines().count(), msg);
        return msg;
    }

    @Test
    void missingFile() {
        Path f = dir.resolve("model.safetensors");
        assertEquals(f + ": missing file", openError(f));
    }

    @Test
    void tooShort() {
        Path f = dir.resolve("short.safetensors");
        Checkpoints.writeString(f, "abc");
        assertTrue(openError(f).contains("too short"));
    }

    @Test
    void headerLengthLargerThanFile() {
        Path f = dir.resolve("a.safetensors");
        Checkpoints.raw(f, 1000, "{}", 0);
        assertEquals(f + ": header length 1000 is larger than the file (10 bytes)", openError(f));
        // a huge lying length must not be allocated
        Checkpoints.raw(f, Long.MAX_VALUE - 3, "{}", 0);
        assertTrue(openError(f).contains("is larger than the file"));
        Checkpoints.raw(f, -1L, "{}", 0);
        assertTrue(openError(f).contains("header length 18446744073709551615 is larger than the file"));
    }

    @Test
    void headerNotJsonOrNotAnObject() {
        Path f = dir.resolve("b.safetensors");
        Checkpoints.raw(f, "{\"x\": [1, 2", 0);
        assertTrue(openError(f).contains("header is not valid JSON"));
        Checkpoints.raw(f, "[1, 2, 3]", 0);
        assertTrue(openError(f).contains("header is not a JSON object"));
        Checkpoints.raw(f, "{\"t\": 5}", 0);
        assertTrue(openError(f).contains("tensor t: header entry is not an object"));
    }

    @Test
    void unsupportedDtype() {
        Path f = dir.resolve("c.safetensors");
        Checkpoints.raw(f, "{\"ids\": {\"dtype\": \"I64\", \"shape\": [2], \"data_offsets\": [0, 16]}}", 16);
        assertEquals(f + ": tensor ids has unsupported dtype I64 (supported: F32, F16, BF16)", openError(f));
    }

    @Test
    void dataOffsetsChecked() {
        Path f = dir.resolve("d.safetensors");
        Checkpoints.raw(f, "{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 8);
        assertEquals(f + ": tensor w has data_offsets [0, 16] out of range (data section is 8 bytes)", openError(f));
        Checkpoints.raw(f, "{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [16, 0]}}", 16);
        assertEquals(f + ": tensor w has data_offsets [16, 0] with begin > end", openError(f));
        Checkpoints.raw(f, "{\"w\": {\"dtype\": \"BF16\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 16);
        assertEquals(f + ": tensor w has data_offsets [0, 16] spanning 16 bytes, but shape [4] of BF16 needs 8", openError(f));
        Checkpoints.raw(f, "{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [-4, 12]}}", 16);
        assertTrue(openError(f).contains("negative data_offsets"));
        Checkpoints.raw(f, "{\"w\": {\"dtype\": \"F32\", \"shape\": [2000000000, 2000000000, 2000000000], \"data_offsets\": [0, 16]}}", 16);
        assertTrue(openError(f).contains("impossibly large shape"));
    }

    @Test
    void dataOffsetsMustTileTheDataSectionExactly() {
        Path f = dir.resolve("o.safetensors");
        String a = "\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}";
        Checkpoints.raw(f, "{" + a + ", \"b\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [8, 24]}}", 24);
        assertEquals(f + ": tensor b has data_offsets [8, 24] overlapping tensor a [0, 16]", openError(f));
        Checkpoints.raw(f, "{" + a + ", \"b\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 16);
        assertTrue(openError(f).contains("overlapping tensor"));
        Checkpoints.raw(f, "{" + a + ", \"b\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [20, 36]}}", 36);
        assertEquals(f + ": bytes [16, 20) of the data section belong to no tensor (a hole before tensor b;"
                + " data_offsets must cover the data section exactly)", openError(f));
        Checkpoints.raw(f, "{" + a + "}", 20);
        assertEquals(f + ": bytes [16, 20) of the data section belong to no tensor (data_offsets must cover the data section exactly)", openError(f));
        Checkpoints.raw(f, "{\"b\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [4, 20]}}", 20);
        assertTrue(openError(f).contains("bytes [0, 4) of the data section belong to no tensor"));
        // exact tiling, in any header order, with an empty tensor, is fine
        Checkpoints.raw(f, "{\"b\": {\"dtype\": \"F16\", \"shape\": [2], \"data_offsets\": [16, 20]}, \"e\": {\"dtype\": \"F32\", \"shape\": [0],"
                + " \"data_offsets\": [20, 20]}, " + a + "}", 20);
        SafeTensorsFile.open(f).close();
    }

    @Test
    void wrongShapeAndMissingTensor() {
        Path f = dir.resolve("e.safetensors");
        Checkpoints.raw(f, "{\"__metadata__\": {\"format\": \"pt\"}, \"model.layers.0.self_attn.q_proj.weight\":"
                + " {\"dtype\": \"F16\", \"shape\": [64, 32], \"data_offsets\": [0, 4096]}}", 4096);
        try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
            ModelException e = assertThrows(ModelException.class, () -> st.tensor("model.layers.0.self_attn.q_proj.weight", 64, 64));
            assertEquals(f + ": tensor model.layers.0.self_attn.q_proj.weight has shape [64, 32], expected [64, 64]", e.getMessage());
            e = assertThrows(ModelException.class, () -> st.tensor("model.norm.weight"));
            assertEquals(f + ": tensor model.norm.weight missing", e.getMessage());
            Tensor t = st.tensor("model.layers.0.self_attn.q_proj.weight", 64, 32);
            assertEquals(4096, t.data().capacity());
            assertTrue(t.data().isReadOnly());
        }
    }

    @Test
    void regionsOverTwoGibibytesAreRefusedClearly() throws Exception {
        Path f = dir.resolve("big.safetensors");
        long n = 600_000_000L; // F32 -> 2.4 GB, beyond one MappedByteBuffer
        String header = "{\"w\": {\"dtype\": \"F32\", \"shape\": [" + n + "], \"data_offsets\": [0, " + (4 * n) + "]}}";
        Checkpoints.raw(f, header, 0);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(8 + header.length() + 4 * n); // sparse: no disk space used
        }
        try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
            ModelException e = assertThrows(ModelException.class, () -> st.tensor("w"));
            assertEquals(f + ": tensor w is 2400000000 bytes, more than the 2 GiB one memory mapping can hold", e.getMessage());
        }
    }

    @Test
    void valuesReadBackLittleEndian() {
        Path f = dir.resolve("v.safetensors");
        java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate(12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1.5f).putShort(Half.floatToBf16(-2f)).putShort(Half.floatToF16(0.25f)).putShort(Half.floatToF16(3f)).putShort((short) 0);
        SafeTensorsWriter.write(f, java.util.List.of(
                new SafeTensorsWriter.Entry("a", DType.F32, new int[] {1}, () -> data.duplicate().position(0).limit(4).slice()),
                new SafeTensorsWriter.Entry("b", DType.BF16, new int[] {1}, () -> data.duplicate().position(4).limit(6).slice()),
                new SafeTensorsWriter.Entry("c", DType.F16, new int[] {1, 2}, () -> data.duplicate().position(6).limit(10).slice())));
        try (SafeTensorsFile st = SafeTensorsFile.open(f)) {
            assertEquals(1.5f, st.tensor("a", 1).toFloats()[0]);
            assertEquals(-2f, st.tensor("b", 1).toFloats()[0]);
            float[] c = st.tensor("c", 1, 2).toFloats();
            assertEquals(0.25f, c[0]);
            assertEquals(3f, c[1]);
        }
    }
}
