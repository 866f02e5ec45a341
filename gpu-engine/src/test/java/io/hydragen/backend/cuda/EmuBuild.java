package io.hydragen.backend.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Builds the emulation runner: the unchanged kernel sources of {@code kernels/src/main/cuda} compiled by the host
 * C++ compiler with {@code kernels/emu/cuda_emu.h} force-included, under AddressSanitizer, one object per family,
 * linked with {@code kernels/emu/emu_runtime.cpp} into {@code target/emu/bin/hydragen_emu-HASH}. Objects and
 * executables are cached by the hash of what went into them, so only the first run (or a changed kernel) compiles.
 *
 * <p>The one textual change made to the copies: {@code extern __shared__ __align__(16) T name[];} (dynamic shared
 * memory, which C++ cannot express) becomes {@code T* const name = (T*)emu::dynamic_smem();}, a heap block of
 * exactly the launch's shared bytes. A {@link Mutation} may change a copy further (the mutation tests).
 *
 * <p>Without a C++ compiler ({@code g++}, or {@code $HYDRAGEN_EMU_CXX}) the tests using it are skipped with a message.
 */
final class EmuBuild {
    /** A deliberate change to one kernel source file, to show that the emulated tests catch it. */
    record Mutation(String file, String find, String replace) {
        String apply(String src) {
            if (!src.contains(find)) throw new IllegalStateException("mutation target not found in " + file + ": " + find);
            return src.replace(find, replace);
        }
    }

    private static final Pattern DYNAMIC_SMEM =
            Pattern.compile("extern\\s+__shared__\\s+__align__\\(\\d+\\)\\s+([A-Za-z_][A-Za-z_0-9 ]*?)\\s+([A-Za-z_][A-Za-z_0-9]*)\\s*\\[\\s*\\]\\s*;");
    private static final String CXX = System.getenv().getOrDefault("HYDRAGEN_EMU_CXX", "g++");
    private static final List<String> SAN = List.of("-fsanitize=address,alignment", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer");
    private static final Map<String, Path> BUILT = new TreeMap<>();
    private static String unavailable;
    private static Boolean sanitizers;

    private EmuBuild() {}

    /** The repository's kernels directory (kernels/src/main/cuda and kernels/emu). */
    static Path kernelsDir() {
        Path p = Path.of("").toAbsolutePath();
        for (int i = 0; i < 4 && p != null; i++, p = p.getParent()) {
            if (Files.isDirectory(p.resolve("kernels/emu")) && Files.isDirectory(p.resolve("kernels/src/main/cuda"))) return p.resolve("kernels");
        }
        throw new IllegalStateException("kernels/ not found above " + Path.of("").toAbsolutePath());
    }

    static Path workDir() {
        Path target = Path.of("target").toAbsolutePath();
        return target.resolve("emu");
    }

    /** Skips the calling test, with the reason, where no C++ compiler can build the emulation. */
    static synchronized void require() {
        if (unavailable == null) {
            try {
                Process p = new ProcessBuilder(CXX, "--version").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                unavailable = p.waitFor() == 0 ? "" : CXX + " --version failed";
            } catch (IOException | InterruptedException e) {
                unavailable = "no C++ compiler (" + CXX + ": " + e.getMessage() + ")";
            }
        }
        if (unavailable.isEmpty()) {
            try {
                kernelsDir();
            } catch (IllegalStateException e) {
                unavailable = e.getMessage();
            }
        }
        assumeTrue(unavailable.isEmpty(), unavailable + ": the emulated kernel tests are skipped (CI runs them)");
    }

    /** The runner with every family, built from the sources as they are. */
    static Path runner() { return runner(null); }

    /** The runner with {@code mutation} applied to its file (null: none). */
    static synchronized Path runner(Mutation mutation) {
        require();
        try {
            Path kernels = kernelsDir(), cuda = kernels.resolve("src/main/cuda"), emu = kernels.resolve("emu");
            Map<String, String> files = new TreeMap<>();
            try (var s = Files.list(cuda)) {
                for (Path f : s.toList()) {
                    String name = f.getFileName().toString();
                    if (!name.endsWith(".cu") && !name.endsWith(".cuh")) continue;
                    String src = Files.readString(f);
                    if (mutation != null && mutation.file().equals(name)) src = mutation.apply(src);
                    files.put(name, rewriteDynamicShared(src));
                }
            }
            StringBuilder emuText = new StringBuilder();
            for (String e : List.of("cuda_emu.h", "include/cuda_bf16.h", "emu_registry.h")) {
                emuText.append(Files.readString(emu.resolve(e)));
            }
            List<String> flags = flags(emu);
            String headerHash = hash(String.join(" ", flags), emuText.toString());
            Path work = workDir();
            Path src = work.resolve("src-" + headerHash.substring(0, 16) + (mutation == null ? "" : "-" + hash(mutation.toString()).substring(0, 8)));
            Files.createDirectories(src);
            for (Map.Entry<String, String> e : files.entrySet()) Files.writeString(src.resolve(e.getKey()), e.getValue());

            Map<String, List<String>> entries = PtxResourcesTest.expectedEntries();
            Map<String, Path> objects = new LinkedHashMap<>();
            Map<String, Path> unitSources = new LinkedHashMap<>();
            for (Map.Entry<String, List<String>> fam : entries.entrySet()) {
                String family = fam.getKey();
                StringBuilder unit = new StringBuilder("#include \"" + family + ".cu\"\n#include \"emu_registry.h\"\n");
                for (String entry : fam.getValue()) unit.append("EMU_REGISTER(").append(entry).append(")\n");
                String h = hash(headerHash, withIncludes(files, family + ".cu"), unit.toString()).substring(0, 16);
                Path unitFile = src.resolve(family + ".emu.cpp");
                Files.writeString(unitFile, unit.toString());
                objects.put(family, work.resolve("obj/" + family + "-" + h + ".o"));
                unitSources.put(family, unitFile);
            }
            Path rtObj = work.resolve("obj/emu_runtime-" + hash(headerHash, Files.readString(emu.resolve("emu_runtime.cpp"))).substring(0, 16) + ".o");
            unitSources.put("(runtime)", emu.resolve("emu_runtime.cpp"));
            objects.put("(runtime)", rtObj);
            String exeHash = hash(objects.values().stream().map(Path::toString).reduce("", String::concat)).substring(0, 16);
            Path exe = work.resolve("bin/hydragen_emu-" + exeHash);
            Path cached = BUILT.get(exeHash);
            if (cached != null || Files.isExecutable(exe)) return exe;
            Files.createDirectories(work.resolve("obj"));
            Files.createDirectories(work.resolve("bin"));

            long t0 = System.nanoTime();
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())));
            try {
                List<Future<?>> jobs = new ArrayList<>();
                for (Map.Entry<String, Path> o : objects.entrySet()) {
                    if (Files.exists(o.getValue())) continue;
                    Path unit = unitSources.get(o.getKey());
                    jobs.add(pool.submit(() -> {
                        List<String> cmd = new ArrayList<>(List.of(CXX));
                        cmd.addAll(flags);
                        cmd.addAll(List.of("-I" + src, "-c", unit.toString(), "-o", o.getValue() + ".tmp"));
                        exec(cmd, src, "compiling " + o.getKey());
                        Files.move(Path.of(o.getValue() + ".tmp"), o.getValue(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        return null;
                    }));
                }
                for (Future<?> f : jobs) f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof RuntimeException r) throw r;
                throw new IllegalStateException(c);
            } finally {
                pool.shutdown();
            }
            List<String> link = new ArrayList<>(List.of(CXX, "-pthread"));
            if (sanitizers) link.addAll(SAN);
            for (Path o : objects.values()) link.add(o.toString());
            link.addAll(List.of("-o", exe + ".tmp"));
            exec(link, src, "linking the emulation runner");
            Files.move(Path.of(exe + ".tmp"), exe, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            System.out.printf("[emu] built %s in %.1f s%s%n", exe.getFileName(), (System.nanoTime() - t0) / 1e9,
                    mutation == null ? "" : " (mutation: " + mutation + ")");
            BUILT.put(exeHash, exe);
            return exe;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Whether the runner is built with AddressSanitizer (it is wherever the compiler can link it). */
    static synchronized boolean sanitized() {
        require();
        if (sanitizers == null) {
            try {
                sanitizers = sanitizersWork();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return sanitizers;
    }

    private static List<String> flags(Path emu) throws IOException, InterruptedException {
        if (sanitizers == null) sanitizers = sanitizersWork();
        List<String> f = new ArrayList<>(List.of("-std=c++20", "-O1", "-g", "-pthread", "-fno-strict-aliasing", "-Wno-unknown-pragmas",
                "-DHG_EMULATION", "-include", emu.resolve("cuda_emu.h").toString(), "-I" + emu.resolve("include"), "-I" + emu));
        if (sanitizers) f.addAll(SAN);
        return f;
    }

    private static boolean sanitizersWork() throws IOException, InterruptedException {
        Path dir = Files.createDirectories(workDir().resolve("probe"));
        Path c = dir.resolve("probe.cpp");
        Files.writeString(c, "int main() { return 0; }\n");
        List<String> cmd = new ArrayList<>(List.of(CXX));
        cmd.addAll(SAN);
        cmd.addAll(List.of(c.toString(), "-o", dir.resolve("probe").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        boolean ok = p.waitFor() == 0;
        if (!ok) System.out.println("[emu] " + CXX + " cannot link AddressSanitizer: the emulated kernels run without it");
        return ok;
    }

    private static final Pattern INCLUDE = Pattern.compile("#include\\s+\"([^\"]+)\"");

    /** A source file followed by every kernel header it includes (transitively): what its object depends on. */
    private static String withIncludes(Map<String, String> files, String name) {
        StringBuilder out = new StringBuilder();
        java.util.Deque<String> todo = new java.util.ArrayDeque<>(List.of(name));
        java.util.Set<String> seen = new java.util.HashSet<>();
        while (!todo.isEmpty()) {
            String f = todo.pop();
            String src = files.get(f);
            if (src == null || !seen.add(f)) continue;
            out.append(f).append('\n').append(src).append('\0');
            Matcher m = INCLUDE.matcher(src);
            while (m.find()) todo.push(m.group(1));
        }
        return out.toString();
    }

    static String rewriteDynamicShared(String src) {
        Matcher m = DYNAMIC_SMEM.matcher(src);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String type = m.group(1).trim(), name = m.group(2);
            m.appendReplacement(out, Matcher.quoteReplacement(type + "* const " + name + " = reinterpret_cast<" + type
                    + "*>(::emu::dynamic_smem());  // emulation: extern __shared__ " + type + " " + name + "[]"));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static void exec(List<String> cmd, Path dir, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(what + " failed:\n" + String.join(" ", cmd) + "\n" + out);
        }
    }

    static String hash(String... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String s : parts) {
                md.update((s == null ? "\0null" : s).getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
