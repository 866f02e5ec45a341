package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench-attention runs every CPU mode on a small shape and reports them; CUDA without a device is one clear error. */
class BenchAttentionCommandTest {
    @TempDir Path dir;

    private static int run(ByteArrayOutputStream out, ByteArrayOutputStream err, String... args) {
        return Main.run(new java.io.ByteArrayInputStream(new byte[0]), new PrintStream(out, true), new PrintStream(err, true), args);
    }

    @Test
    void cpuModesAreTimedAndWrittenAsJson() throws Exception {
        Path json = dir.resolve("a.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = run(out, err, "bench-attention", "--batch", "4", "--prefix-tokens", "300", "--suffix-tokens", "7", "--q-heads", "4",
                "--kv-heads", "2", "--head-dim", "16", "--attention", "hydragen,per-sequence,per-sequence-shared-kv", "--reps", "2",
                "--warmup", "1", "--json", json.toString());
        assertEquals(0, rc, err.toString());
        JsonNode r = new ObjectMapper().readTree(json.toFile());
        assertEquals(3, r.get("results").size());
        assertEquals("hydragen", r.get("results").get(0).get("mode").asText());
        for (JsonNode m : r.get("results")) assertTrue(m.get("median_ms").asDouble() > 0);
        assertEquals(300, r.get("settings").get("prefix_tokens").asInt());
    }

    @Test
    void bothKvDtypesInOneRun() throws Exception {
        Path json = dir.resolve("kv.json");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int rc = run(out, err, "bench-attention", "--batch", "3", "--prefix-tokens", "100", "--suffix-tokens", "5", "--q-heads", "4",
                "--kv-heads", "2", "--head-dim", "16", "--attention", "hydragen,per-sequence", "--kv-cache-dtype", "fp32,bf16",
                "--reps", "1", "--warmup", "0", "--json", json.toString());
        assertEquals(0, rc, err.toString());
        JsonNode r = new ObjectMapper().readTree(json.toFile()).get("results");
        assertEquals(4, r.size());
        String[] want = {"hydragen fp32", "per-sequence fp32", "hydragen bf16", "per-sequence bf16"};
        for (int i = 0; i < 4; i++) {
            assertEquals(want[i], r.get(i).get("mode").asText() + " " + r.get(i).get("kv_cache_dtype").asText());
            assertTrue(r.get(i).get("median_ms").asDouble() > 0);
        }
        assertTrue(out.toString().contains("kv bf16"), out.toString());
        assertEquals(2, run(new ByteArrayOutputStream(), err, "bench-attention", "--kv-cache-dtype", "fp16"));
    }

    @Test
    void cudaWithoutADeviceIsOneLine() {
        org.junit.jupiter.api.Assumptions.assumeTrue(io.hydragen.backend.cuda.CudaBackend.unavailableReason(0) != null, "a GPU is present");
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        assertEquals(2, run(out, err, "bench-attention", "--backend", "cuda"));
        assertTrue(err.toString().startsWith("hydragen: error: backend 'cuda' is not available"), err.toString());
        assertEquals(1, err.toString().strip().lines().count());
    }
}
