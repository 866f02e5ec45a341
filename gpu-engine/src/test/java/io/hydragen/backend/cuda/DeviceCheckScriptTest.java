package io.hydragen.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * bin/device-check, the one prepared script for the GPU machine, checked here without one: it parses (bash -n,
 * shellcheck where installed), its dry run lists every step the issue asks for under its own timeout within
 * 8 minutes, and a real run on this GPU-less machine (every step fails fast) still writes one summary row per
 * step and at most 8 files.
 */
class DeviceCheckScriptTest {
    static final Path SCRIPT = Path.of("..", "bin", "device-check");

    private static String run(long timeoutS, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(timeoutS, TimeUnit.SECONDS), "timed out: " + String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, tool).canExecute()) return true;
        }
        return false;
    }

    @Test
    void parses() throws Exception {
        assumeTrue(Files.exists(SCRIPT), "bin/device-check not found from " + Path.of("").toAbsolutePath());
        run(30, "bash", "-n", SCRIPT.toString());
        if (onPath("shellcheck")) run(60, "shellcheck", "-S", "warning", SCRIPT.toString());
        else System.out.println("[device-check] shellcheck not installed: bash -n only");
    }

    @Test
    void dryRunListsEveryStepWithinEightMinutes() throws Exception {
        assumeTrue(Files.exists(SCRIPT), "bin/device-check not found");
        String out = run(30, "bash", SCRIPT.toString(), "--dry-run");
        Matcher m = Pattern.compile("(?m)^step (\\S+)\\s+timeout\\s+(\\d+)s\\s+> (\\S+)").matcher(out);
        List<String> steps = new ArrayList<>(), logs = new ArrayList<>();
        int total = 0;
        while (m.find()) {
            steps.add(m.group(1));
            total += Integer.parseInt(m.group(2));
            logs.add(m.group(3));
        }
        assertEquals(List.of("device", "gpu-tests", "anchors", "attention", "gemm", "e2e-4096", "e2e-16384"), steps, out);
        assertTrue(total <= 480, "steps' timeouts add up to " + total + " s, over 8 minutes");
        assertTrue(logs.size() + 1 <= 8, "at most 8 files under $OUT");
        assertTrue(out.contains("nvidia-smi -q"), out);
        assertTrue(out.contains("-Dhydragen.gpu.required=true") && out.contains(".*GpuTest"), out);
        assertTrue(out.contains("torch_gemm_anchor.py") && out.contains("torch_attention_anchor.py") && out.contains("copy_"), out);
        for (String bp : List.of("--batch 64 --prefix-tokens 16384", "--batch 256 --prefix-tokens 4096", "--batch 256 --prefix-tokens 16384",
                "--batch 1024 --prefix-tokens 16384")) {
            assertTrue(out.contains("bench-attention --backend cuda " + bp + " --suffix-tokens 128 --q-heads 32 --kv-heads 8 --head-dim 128"), bp);
        }
        assertTrue(out.contains("io.hydragen.backend.cuda.GemmBench"), out);
        for (String p : List.of("4096", "16384")) {
            assertTrue(out.contains("bench --backend cuda --model synthetic:llama-8b --batch 256 --prefix-tokens " + p
                    + " --new-tokens 16 --attention hydragen,per-sequence,none"), p);
        }
        assertTrue(out.contains("-cp '") && !out.matches("(?s).*-cp [^']*lib/\\*.*"), "class path globs stay quoted");
    }

    @Test
    void runWithoutAGpuStillWritesTheSummary(@TempDir Path out) throws Exception {
        assumeTrue(Files.exists(SCRIPT), "bin/device-check not found");
        assumeTrue(onPath("timeout"), "coreutils timeout missing");
        String log = run(200, "bash", SCRIPT.toString(), "--out", out.toString(), "--budget", "150");
        String summary = Files.readString(out.resolve("summary.md"));
        for (String step : List.of("device", "gpu-tests", "anchors", "attention", "gemm", "e2e-4096", "e2e-16384")) {
            assertTrue(summary.contains("| " + step + " | "), step + " row in\n" + summary);
        }
        try (var files = Files.list(out)) {
            long n = files.count();
            assertTrue(n <= 8, n + " files under $OUT");
        }
        assertTrue(log.contains("| step | status | seconds |"), log);
    }
}
