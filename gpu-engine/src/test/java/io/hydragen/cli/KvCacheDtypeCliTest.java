package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --kv-cache-dtype}: refused when unknown, and reported by bench as the path attention reads the KV through. */
class KvCacheDtypeCliTest {
    @TempDir
    Path dir;

    @Test
    void benchReportsTheKvPathAndAnUnknownValueIsAUsageError() throws IOException {
        for (String kv : new String[] {"fp32", "bf16"}) {
            Path json = dir.resolve(kv + ".json");
            CliRun r = CliRun.run("bench", "--model", "synthetic:tiny", "--batch", "2", "--prefix-tokens", "16", "--suffix-tokens", "2",
                    "--new-tokens", "2", "--attention", "hydragen", "--threads", "1", "--warmup-tokens", "0", "--sgemm-size", "64",
                    "--cpu-dtype", "fp32", "--kv-cache-dtype", kv, "--json", json.toString());
            assertEquals(0, r.exitCode(), r.err());
            String path = CliRun.JSON.readTree(json.toFile()).get("results").get("hydragen").get("matmul").asText();
            assertTrue(path.startsWith("fp32") && path.contains("KV cache " + kv), path);
        }
        CliRun bad = CliRun.run("generate", "--model", "synthetic:tiny", "--kv-cache-dtype", "fp8", "--input", "x", "--output", "y");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("--kv-cache-dtype: unknown KV cache dtype 'fp8' (auto, fp32, bf16)"), bad.err());
    }
}
