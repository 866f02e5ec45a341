package io.hydragen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code hydragen bench} at toy sizes: the JSON's keys and counts and the PNG (no timing is asserted). */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void writesJsonWithEveryKeyAndAPng() throws IOException {
        Path json = dir.resolve("b.json"), png = dir.resolve("b.png");
        int batch = 3, prefix = 20, suffix = 5, newTokens = 4;
        CliRun r = CliRun.run("bench", "--model", "synthetic:tiny", "--batch", "" + batch, "--prefix-tokens", "" + prefix,
                "--suffix-tokens", "" + suffix, "--new-tokens", "" + newTokens, "--attention", "hydragen,per-sequence,none",
                "--backend", "cpu", "--threads", "1", "--warmup-tokens", "2", "--sgemm-size", "128",
                "--json", json.toString(), "--plot", png.toString());
        assertEquals(0, r.exitCode(), r.err());

        JsonNode j = CliRun.JSON.readTree(json.toFile());
        assertEquals("synthetic:tiny", j.get("model").asText());
        assertEquals(batch, j.get("batch").asInt());
        assertEquals(prefix, j.get("prefix_tokens").asInt());
        assertEquals(suffix, j.get("suffix_tokens").asInt());
        assertEquals(newTokens, j.get("new_tokens").asInt());
        assertEquals("cpu", j.get("backend").asText());
        assertEquals(1, j.get("threads").asInt());
        for (String k : List.of("cores", "os", "java", "date")) assertTrue(j.get("machine").hasNonNull(k), "machine." + k);
        assertEquals(Runtime.getRuntime().availableProcessors(), j.get("machine").get("cores").asInt());
        assertTrue(j.get("sgemm_gflops").asDouble() > 0, "SGEMM measured");
        assertTrue(j.get("command").asText().startsWith("hydragen bench --model synthetic:tiny --batch 3 --prefix-tokens 20"),
                j.get("command").asText());

        JsonNode results = j.get("results");
        assertEquals(List.of("hydragen", "per-sequence", "none"), fieldNames(results));
        for (String mode : fieldNames(results)) {
            JsonNode m = results.get(mode);
            assertTrue(m.get("decode_tokens_per_s").asDouble() > 0, mode);
            assertTrue(m.get("prefill_s").asDouble() > 0, mode);
            // min_shared_tokens 1: the prefix is one shared segment, prefilled once, then each suffix
            assertEquals(prefix + batch * suffix, m.get("prefilled_tokens").asLong(), mode + " prefilled");
            assertEquals((long) batch * (prefix + suffix), m.get("prompt_tokens").asLong(), mode + " prompt tokens");
            assertEquals((long) batch * prefix, m.get("shared_prompt_tokens").asLong(), mode + " shared");
            assertEquals((long) batch * newTokens, m.get("generated_tokens").asLong(), mode + " generated (ignore_eos)");
            assertEquals((long) batch * (newTokens - 1), m.get("decode_tokens").asLong(), mode + " first token comes from prefill");
        }
        double ratio = results.get("hydragen").get("decode_tokens_per_s").asDouble() / results.get("per-sequence").get("decode_tokens_per_s").asDouble();
        assertEquals(ratio, j.get("speedup").get("hydragen_vs_per_sequence").asDouble(), 1e-9);
        assertEquals(1.0, j.get("same_tokens_hydragen_per_sequence").asDouble(), "hydragen and per-sequence decode the same tokens");

        assertTrue(r.out().contains("speedup hydragen vs per-sequence"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("per-sequence")), r.out());

        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "the plot is a readable PNG");
        assertTrue(image.getWidth() > 100 && image.getHeight() > 100);
    }

    @Test
    void eachTemperatureIsAResultOfTheSameRun() throws IOException {
        Path json = dir.resolve("t.json");
        CliRun r = CliRun.run("bench", "--model", "synthetic:tiny", "--batch", "3", "--prefix-tokens", "8", "--suffix-tokens", "2",
                "--new-tokens", "3", "--attention", "hydragen", "--temperature", "0,1", "--top-p", "0.9", "--threads", "1",
                "--warmup-tokens", "0", "--sgemm-size", "64", "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode results = CliRun.JSON.readTree(json.toFile()).get("results");
        assertEquals(List.of("hydragen t=0.0", "hydragen t=1.0"), fieldNames(results));
        for (String k : fieldNames(results)) assertEquals(9, results.get(k).get("generated_tokens").asLong(), k);
        CliRun bad = CliRun.run("bench", "--model", "synthetic:tiny", "--top-p", "0", "--threads", "1");
        assertEquals(2, bad.exitCode(), bad.err());
        assertTrue(bad.err().contains("top_p must be in (0, 1]"), bad.err());
    }

    @Test
    void noSpeedupWithoutBothModesAndNoPlotUnlessAsked() throws IOException {
        Path json = dir.resolve("h.json");
        CliRun r = CliRun.run("bench", "--model", "synthetic:tiny", "--batch", "2", "--prefix-tokens", "8", "--suffix-tokens", "2",
                "--new-tokens", "2", "--attention", "hydragen", "--threads", "1", "--warmup-tokens", "0", "--sgemm-size", "64",
                "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = CliRun.JSON.readTree(json.toFile());
        assertEquals(List.of("hydragen"), fieldNames(j.get("results")));
        assertTrue(!j.has("speedup") && !j.has("same_tokens_hydragen_per_sequence"), j.toString());
        assertTrue(r.err().contains("hydragen: warning: the decode phase of hydragen lasted") && r.err().contains("too short to trust"),
                "two decode tokens are too few to measure: " + r.err());
        try (var files = java.nio.file.Files.list(dir)) {
            assertEquals(1, files.count(), "only the JSON was written");
        }
    }

    @Test
    void profilesEachDtypeOfTheListAndReportsTheMatmulPath() throws IOException {
        Path json = dir.resolve("p.json");
        int newTokens = 4;
        CliRun r = CliRun.run("bench", "--model", "synthetic:tiny", "--batch", "3", "--prefix-tokens", "16", "--suffix-tokens", "2",
                "--new-tokens", "" + newTokens, "--attention", "hydragen", "--threads", "1", "--warmup-tokens", "0", "--sgemm-size", "64",
                "--cpu-dtype", "fp32,bf16", "--profile", "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = CliRun.JSON.readTree(json.toFile());
        assertEquals(List.of("hydragen@fp32", "hydragen@bf16"), fieldNames(j.get("results")));
        assertTrue(j.get("results").get("hydragen@fp32").get("matmul").asText().startsWith("fp32"), j.toString());
        assertTrue(j.get("results").get("hydragen@bf16").get("matmul").asText().startsWith("bf16"), j.toString());
        for (JsonNode mode : j.get("results")) {
            JsonNode prof = mode.get("decode_profile");
            assertNotNull(prof, mode.toString());
            // the decode steps, plus the one-token-per-row suffix pass that has their shape (documented in BenchProfile)
            assertTrue(prof.get("forward_passes").asInt() >= newTokens - 1, prof.toString());
            double sum = 0;
            for (JsonNode row : prof.get("phases")) sum += row.get("ms").asDouble();
            assertEquals(prof.get("step_ms").asDouble(), sum, 0.05 * prof.get("step_ms").asDouble(), "phases add up to the step: " + prof);
            assertTrue(mode.get("decode_gflops").asDouble() > 0, mode.toString());
        }
        assertTrue(r.out().contains("lm head"), r.out());
        CliRun bad = CliRun.run("generate", "--model", "synthetic:tiny", "--cpu-dtype", "fp32,bf16", "--input", "x", "--output", "y");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("--cpu-dtype takes one of"), bad.err());
    }

    @Test
    void sizesBeyondTheContextAreOneLineError() {
        CliRun r = CliRun.run("bench", "--model", "synthetic:tiny", "--batch", "2", "--prefix-tokens", "5000", "--suffix-tokens", "2",
                "--new-tokens", "2");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("context of 4096 tokens"), r.err());
        CliRun bad = CliRun.run("bench", "--model", "synthetic:tiny", "--attention", "hydragen,fast");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("unknown attention mode 'fast'"), bad.err());
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void comparesSchedulersOverAStreamLongerThanTheBatch() throws IOException {
        Path json = dir.resolve("s.json");
        int rows = 12, groups = 3, prefix = 24, suffix = 4;
        CliRun r = CliRun.run("bench", "--model", "synthetic:tiny", "--batch", "4", "--rows", "" + rows, "--prefix-groups", "" + groups,
                "--prefix-tokens", "" + prefix, "--suffix-tokens", "" + suffix, "--max-new-tokens-dist", "uniform:1:9",
                "--scheduler", "static,continuous", "--backend", "cpu", "--threads", "1", "--warmup-tokens", "0", "--sgemm-size", "64",
                "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = CliRun.JSON.readTree(json.toFile());
        assertEquals(rows, j.get("rows").asInt());
        assertEquals(groups, j.get("prefix_groups").asInt());
        assertEquals("uniform:1:9", j.get("max_new_tokens_dist").asText());
        assertEquals("hydragen", j.get("attention").asText());
        assertEquals(List.of("static", "continuous"), fieldNames(j.get("schedulers")));
        long generated = -1;
        for (String k : List.of("static", "continuous")) {
            JsonNode s = j.get("schedulers").get(k);
            for (String f : List.of("generated_tokens_per_s", "decode_tokens_per_s", "mean_running_sequences")) assertTrue(s.get(f).asDouble() > 0, k + "." + f);
            assertTrue(s.get("mean_running_sequences").asDouble() <= 4, k);
            assertEquals(rows, s.get("rows").asInt(), k);
            assertEquals((long) rows * (prefix + suffix), s.get("prompt_tokens").asLong(), k);
            if (generated < 0) generated = s.get("generated_tokens").asLong();
            assertEquals(generated, s.get("generated_tokens").asLong(), k + ": EOS ignored, the drawn lengths exactly");
        }
        assertTrue(generated >= rows && generated <= 9L * rows);
        assertEquals(1.0, j.get("same_tokens_static_continuous").asDouble(), "both schedulers decode the same tokens");
        assertTrue(j.get("continuous_vs_static").asDouble() > 0);
        assertTrue(r.out().contains("continuous vs static"), r.out());
    }

    @Test
    void runsTheEqualLengthReferenceInTheSameRun() throws IOException {
        Path json = dir.resolve("f.json");
        int rows = 8;
        CliRun r = CliRun.run("bench", "--model", "synthetic:tiny", "--batch", "4", "--rows", "" + rows, "--prefix-groups", "2",
                "--prefix-tokens", "16", "--suffix-tokens", "4", "--max-new-tokens-dist", "uniform:1:9",
                "--scheduler", "static,continuous,continuous@fixed:5", "--rounds", "2", "--backend", "cpu", "--threads", "1", "--warmup-tokens", "0",
                "--sgemm-size", "64", "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = CliRun.JSON.readTree(json.toFile());
        assertEquals(List.of("static", "continuous", "continuous@fixed:5"), fieldNames(j.get("schedulers")));
        JsonNode fixed = j.get("schedulers").get("continuous@fixed:5");
        assertEquals(5L * rows, fixed.get("generated_tokens").asLong(), "every row exactly 5 tokens (counts are per round)");
        assertEquals(2 * 5L * rows / fixed.get("wall_s").asDouble(), fixed.get("generated_tokens_per_s").asDouble(), 1e-6,
                "the rate is over both rounds");
        assertTrue(fixed.get("mean_running_sequences").asDouble() >= 3.5, "equal lengths keep the batch of 4 full: " + fixed);
        assertEquals(List.of("static", "continuous@fixed:5"), fieldNames(j.get("continuous_vs")));
        assertEquals(j.get("continuous_vs_static").asDouble(), j.get("continuous_vs").get("static").asDouble(), 1e-12);
        assertTrue(r.out().contains("continuous vs continuous@fixed:5"), r.out());
        CliRun same = CliRun.run("bench", "--model", "synthetic:tiny", "--batch", "4", "--rows", "" + rows, "--prefix-tokens", "16",
                "--suffix-tokens", "4", "--max-new-tokens-dist", "uniform:1:9", "--scheduler", "continuous,static@fixed", "--backend", "cpu",
                "--threads", "1", "--warmup-tokens", "0", "--sgemm-size", "64", "--json", dir.resolve("g.json").toString());
        assertEquals(0, same.exitCode(), same.err());
        JsonNode g = CliRun.JSON.readTree(dir.resolve("g.json").toFile()).get("schedulers");
        assertEquals(j.get("schedulers").get("continuous").get("generated_tokens").asLong(), g.get("static@fixed").get("generated_tokens").asLong(),
                "@fixed: the drawn total in equal lengths");
        CliRun bad = CliRun.run("bench", "--model", "synthetic:tiny", "--scheduler", "continuous@fixed:0", "--threads", "1");
        assertEquals(2, bad.exitCode(), bad.err());
    }

    @Test
    void schedulerFlagsAreCheckedUpFront() {
        CliRun r = CliRun.run("bench", "--model", "synthetic:tiny", "--rows", "8", "--threads", "1");
        assertEquals(2, r.exitCode(), r.err());
        CliRun d = CliRun.run("bench", "--model", "synthetic:tiny", "--scheduler", "continuous", "--max-new-tokens-dist", "normal:1:2", "--threads", "1");
        assertEquals(2, d.exitCode(), d.err());
        assertTrue(d.err().contains("uniform:LO:HI"), d.err());
    }
}
