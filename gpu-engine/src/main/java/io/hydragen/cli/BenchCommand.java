package io.hydragen.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.backend.cpu.CpuDtype;
import io.hydragen.backend.cpu.StepProfile;
import io.hydragen.generate.BatchOptions;
import io.hydragen.generate.BatchStats;
import io.hydragen.generate.Completion;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.generate.FinishReason;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.GenerationResult;
import io.hydragen.generate.ProgressListener;
import io.hydragen.generate.SamplingParams;
import io.hydragen.generate.Scheduler;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code hydragen bench}: decode throughput of each attention mode on one batch of B sequences that share a P-token
 * prefix and each have S tokens of their own, greedy (or at each --temperature, with --top-k/--top-p), N new tokens
 * each. The model is loaded once; each mode gets its own engine (and backend) over it, and all modes see the same
 * prompts. Several temperatures run one after another on the same engine, so their rates compare within one run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure decode tokens/s per attention mode on a shared-prefix batch of random token ids.",
                "Prints a table; --json writes the figures with the settings, the machine and its SGEMM rate; --plot draws them."})
final class BenchCommand implements Callable<Integer> {
    private final Console console;

    BenchCommand(Console console) { this.console = console; }

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "M", description = "A Hugging Face model directory, or synthetic:NAME.")
    String model;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "B", description = "Sequences (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--prefix-tokens", defaultValue = "16384", paramLabel = "P", description = "Tokens of the prefix all sequences share (default ${DEFAULT-VALUE}).")
    int prefixTokens;

    @Option(names = "--suffix-tokens", defaultValue = "64", paramLabel = "S", description = "Tokens of each sequence's own (default ${DEFAULT-VALUE}).")
    int suffixTokens;

    @Option(names = "--new-tokens", defaultValue = "32", paramLabel = "N", description = "Tokens generated per sequence (default ${DEFAULT-VALUE}).")
    int newTokens;

    @Option(names = "--attention", defaultValue = "hydragen,per-sequence", split = ",", converter = AttentionModeConverter.class,
            paramLabel = "MODES", description = "Modes to run, in order: hydragen, per-sequence, per-sequence-shared-kv, none (default ${DEFAULT-VALUE}).")
    List<AttentionMode> modes;

    @Mixin
    BackendOptions engineOptions = new BackendOptions();

    @Option(names = "--temperature", defaultValue = "0", split = ",", paramLabel = "T",
            description = "Sampling temperature, or several (e.g. 0,1: each mode runs at each, one after the other); 0 = greedy (default ${DEFAULT-VALUE}).")
    List<Double> temperatures;

    @Option(names = "--top-k", defaultValue = "0", paramLabel = "K", description = "Top-k cut when sampling; 0 = none (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", paramLabel = "P", description = "Top-p (nucleus) cut when sampling; 1 = none (default ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the sampled rows (row i uses stream (S, i)) (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--warmup-tokens", defaultValue = "4", paramLabel = "W",
            description = "Before each timed run, decode W tokens on a short-prefix copy of the batch to warm the JIT; 0 = none (default ${DEFAULT-VALUE}).")
    int warmupTokens;

    @Option(names = "--sgemm-size", defaultValue = "2048", paramLabel = "N", description = "Matrix size of the SGEMM rate measurement (default ${DEFAULT-VALUE}).")
    int sgemmSize;

    @Option(names = "--scheduler", split = ",", paramLabel = "S",
            description = {"Compare schedulers instead of attention modes: static, continuous (in order, one process). The stream is --rows rows",
                    "in --prefix-groups groups (each its own shared prefix), at most --batch running; one attention mode (default hydragen).",
                    "An entry may name its own lengths, e.g. continuous@fixed:128: the equal-length reference, in the same run."})
    List<String> schedulers;

    @Option(names = "--rows", paramLabel = "R", description = "With --scheduler: rows in the stream (default: --batch).")
    Integer rows;

    @Option(names = "--prefix-groups", defaultValue = "1", paramLabel = "G", description = "With --scheduler: groups of rows, each with its own prefix (default ${DEFAULT-VALUE}).")
    int prefixGroups;

    @Option(names = "--max-new-tokens-dist", paramLabel = "DIST",
            description = "With --scheduler: each row's new tokens drawn from uniform:LO:HI, or fixed:N (seeded; EOS ignored, so lengths are exactly these). Default: --new-tokens for all.")
    String newTokensDist;

    @Option(names = "--rounds", defaultValue = "1", paramLabel = "K",
            description = {"With --scheduler: run the entries K times, round-robin, and report each one's rates over all its rounds",
                    "(on a loaded machine, load drifts hit every entry alike) (default ${DEFAULT-VALUE})."})
    int rounds;

    @Option(names = "--prefill-tokens-per-step", paramLabel = "N",
            description = "With --scheduler continuous: most prompt tokens of admitted rows run in one decode pass (default: the prefill chunk).")
    Integer prefillTokensPerStep;

    @Option(names = "--profile", description = "CPU backend: time each phase of the decode step (projections, attention per block kind, LM head, "
            + "sampling) and print ms per step; the JSON gets it per mode as decode_profile.")
    boolean profile;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON.")
    Path json;

    @Option(names = "--plot", paramLabel = "FILE", description = "Write a PNG bar chart of decode tokens/s per mode.")
    Path plot;

    @Option(names = {"-q", "--quiet"}, description = "No progress on stderr.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        List<AttentionMode> order = new ArrayList<>(new LinkedHashSet<>(modes));
        checkArguments();
        if (schedulers != null) return runSchedulers();
        status("loading " + model + " ...");
        Model m = ModelLoader.load(model);
        try {
            int context = m.config().maxPositionEmbeddings();
            if ((long) prefixTokens + suffixTokens + newTokens > context) {
                throw new UsageException("prefix " + prefixTokens + " + suffix " + suffixTokens + " + new " + newTokens
                        + " tokens exceed " + model + "'s context of " + context + " tokens");
            }
            List<int[]> prompts = BenchWorkload.prompts(batch, prefixTokens, suffixTokens, m.config().vocabSize());
            List<int[]> warmup = BenchWorkload.prompts(batch, Math.min(prefixTokens, 64), Math.min(suffixTokens, 8), m.config().vocabSize());
            Map<String, BenchReport.ModeResult> results = new LinkedHashMap<>();
            Map<AttentionMode, List<Completion>> outputs = new LinkedHashMap<>();
            Double gflops = null;
            int threadsUsed = engineOptions.threads;
            String backendName = engineOptions.backend;
            Double bf16Gflops = null;
            List<String> dtypes = new ArrayList<>(new LinkedHashSet<>(engineOptions.cpuDtypes));
            for (String dtype : dtypes) for (AttentionMode mode : order) {
                EngineOptions options = engineOptions.applyTo(EngineOptions.of(model)).withCpuDtype(dtype)
                        .withAttention(mode).withMinSharedTokens(1).withMaxBatchSequences(batch);
                String key = dtypes.size() == 1 ? mode.cliName() : mode.cliName() + "@" + dtype;
                // Engine.close() would close the shared model too: close only this mode's backend.
                Engine engine = Engine.open(m, options);
                try {
                    CpuBackend cpuBackend = engine.backend() instanceof CpuBackend cpu ? cpu : null;
                    if (cpuBackend != null) {
                        threadsUsed = cpuBackend.threads();
                        if (gflops == null) {
                            status(key + ": measuring SGEMM " + sgemmSize + "\u00b3 ...");
                            gflops = cpuBackend.measureGflops(sgemmSize);
                        }
                        if (bf16Gflops == null && cpuBackend.dtype() == CpuDtype.BF16) bf16Gflops = cpuBackend.measureBf16Gflops(sgemmSize);
                    }
                    backendName = engine.backendName();
                    if (warmupTokens > 0) {
                        status(key + ": warming up ...");
                        for (double t : temperatures) run(engine, warmup, sampling(warmupTokens, t), ProgressListener.NONE);
                    }
                    for (double t : temperatures) {
                        String name = temperatures.size() == 1 ? key : key + " t=" + t;
                        ProgressPrinter progress = new ProgressPrinter(console, quiet, batch, batch, name);
                        if (profile && cpuBackend != null) cpuBackend.profile(true);   // after the warm-up: only the timed run counts
                        GenerationResult result;
                        try {
                            progress.begin();
                            result = run(engine, prompts, sampling(newTokens, t), progress);
                        } finally {
                            progress.finish();
                        }
                        if (dtype.equals(dtypes.get(0)) && t == temperatures.get(0)) outputs.put(mode, result.completions());
                        BenchProfile steps = profile && cpuBackend != null ? BenchProfile.of(cpuBackend.profile().summary(StepProfile.Pass.DECODE),
                                result.stats().decodeNanos(), result.stats().decodeSteps()) : null;
                        double flops = DecodeFlops.perToken(m.config(), prefixTokens + suffixTokens + (newTokens - 1) / 2.0, mode != AttentionMode.NONE);
                        results.put(name, modeResult(result.stats(), steps, cpuBackend == null ? null : cpuBackend.matmulPath() + "; KV cache " + cpuBackend.kvPath(),
                                result.stats().decodeTokensPerSecond() * flops / 1e9));
                    }
                } finally {
                    engine.backend().close();
                }
            }
            BenchReport report = new BenchReport(model, batch, prefixTokens, suffixTokens, newTokens, warmupTokens,
                    backendName, threadsUsed, machine(), gflops, bf16Gflops, sgemmSize, results, speedup(results),
                    sameTokens(outputs), "hydragen " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
            printTable(report, console.out());
            BenchWarnings.of(report).forEach(console.err()::println);
            if (json != null) {
                Files.writeString(json, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report) + "\n");
            }
            if (plot != null) BenchChart.savePng(report, plot);
            return 0;
        } finally {
            m.close();
        }
    }

    // ---- --scheduler: static vs continuous batching over a stream ------------------------------------------------

    private int runSchedulers() throws IOException {
        Map<String, BenchSchedulerRun> byLabel = new LinkedHashMap<>();
        for (String k : schedulers) {
            BenchSchedulerRun run = BenchSchedulerRun.parse(k);
            byLabel.putIfAbsent(run.label(), run);
        }
        List<BenchSchedulerRun> kinds = new ArrayList<>(byLabel.values());
        if (kinds.isEmpty()) throw new UsageException("--scheduler names no scheduler");
        boolean modesGiven = spec.commandLine().getParseResult().hasMatchedOption("--attention");
        if (modesGiven && new LinkedHashSet<>(modes).size() != 1) throw new UsageException("--scheduler compares schedulers under one --attention mode");
        AttentionMode mode = modesGiven ? modes.get(0) : AttentionMode.HYDRAGEN;
        int r = rows == null ? batch : rows;
        if (r < 1) throw new UsageException("--rows must be >= 1, got " + r);
        if (prefixGroups < 1 || prefixGroups > r) throw new UsageException("--prefix-groups must be between 1 and --rows, got " + prefixGroups);
        if (prefillTokensPerStep != null && prefillTokensPerStep < 1) throw new UsageException("--prefill-tokens-per-step must be >= 1");
        if (rounds < 1) throw new UsageException("--rounds must be >= 1, got " + rounds);
        if (plot != null) throw new UsageException("--plot draws attention modes; it is not available with --scheduler");
        BenchWorkload.NewTokensDist dist = newTokensDist == null ? null : BenchWorkload.NewTokensDist.parse(newTokensDist);
        int[] budgets = dist == null ? filled(r, newTokens) : dist.draw(r);
        int most = 0;
        for (BenchSchedulerRun k : kinds) for (int b : k.budgets(r, budgets)) most = Math.max(most, b);
        status("loading " + model + " ...");
        Model m = ModelLoader.load(model);
        try {
            int context = m.config().maxPositionEmbeddings();
            if ((long) prefixTokens + suffixTokens + most > context) {
                throw new UsageException("prefix " + prefixTokens + " + suffix " + suffixTokens + " + new " + most
                        + " tokens exceed " + model + "'s context of " + context + " tokens");
            }
            List<int[]> prompts = BenchWorkload.groupedPrompts(r, prefixGroups, prefixTokens, suffixTokens, m.config().vocabSize());
            List<int[]> warmup = BenchWorkload.prompts(Math.min(batch, 8), Math.min(prefixTokens, 64), Math.min(suffixTokens, 8), m.config().vocabSize());
            EngineOptions options = engineOptions.applyTo(EngineOptions.of(model)).withAttention(mode).withMinSharedTokens(1).withMaxBatchSequences(batch);
            Map<String, BenchReport.SchedulerResult> results = new LinkedHashMap<>();
            Map<String, Map<String, int[]>> outputs = new LinkedHashMap<>();
            Double gflops = null;
            int threadsUsed = engineOptions.threads;
            String backendName;
            Engine engine = Engine.open(m, options);
            try {
                backendName = engine.backendName();
                if (engine.backend() instanceof CpuBackend cpu) {
                    threadsUsed = cpu.threads();
                    status("measuring SGEMM " + sgemmSize + "\u00b3 ...");
                    gflops = cpu.measureGflops(sgemmSize);
                }
                Map<String, BatchStats> totals = new LinkedHashMap<>(), last = new LinkedHashMap<>();
                Map<String, Double> walls = new LinkedHashMap<>();
                for (int round = 0; round < rounds; round++) for (BenchSchedulerRun run : kinds) {
                    Scheduler kind = run.scheduler();
                    int[] lengths = run.budgets(r, budgets);
                    List<GenerationRequest> requests = new ArrayList<>(r);
                    for (int i = 0; i < r; i++) requests.add(GenerationRequest.ofTokens(Integer.toString(i), prompts.get(i), sampling(lengths[i], temperatures.get(0)).withSeed(seed + i)));
                    BatchOptions batching = options.batchOptions().withScheduler(kind);
                    if (prefillTokensPerStep != null) batching = batching.withPrefillTokensPerStep(prefillTokensPerStep);
                    if (warmupTokens > 0) {
                        status(run.label() + ": warming up ...");
                        run(engine, warmup, sampling(warmupTokens, temperatures.get(0)), ProgressListener.NONE);
                    }
                    status(run.label() + ": " + r + " rows" + (rounds > 1 ? ", round " + (round + 1) + " of " + rounds : "") + " ...");
                    Map<String, int[]> tokens = new LinkedHashMap<>();
                    long t0 = System.nanoTime();
                    BatchStats stats;
                    if (kind == Scheduler.STATIC) {
                        GenerationResult res = engine.generate(requests, batching, ProgressListener.NONE);
                        for (Completion c : res.completions()) record(c, tokens);
                        stats = res.stats();
                    } else {
                        stats = engine.stream(requests.iterator(), batching, c -> record(c, tokens));
                    }
                    double wall = (System.nanoTime() - t0) / 1e9;
                    outputs.putIfAbsent(run.label(), tokens);
                    totals.merge(run.label(), stats, BatchStats::plus);
                    walls.merge(run.label(), wall, Double::sum);
                    last.put(run.label(), stats);
                }
                for (String label : totals.keySet()) results.put(label, schedulerResult(totals.get(label), walls.get(label), last.get(label)));
            } finally {
                engine.backend().close();   // Engine.close() would close the model, closed below
            }
            BenchReport.SchedulerResult st = results.get(Scheduler.STATIC.cliName()), co = results.get(Scheduler.CONTINUOUS.cliName());
            Double ratio = st == null || co == null || st.generatedTokensPerS() == 0 ? null : co.generatedTokensPerS() / st.generatedTokensPerS();
            Double same = null;
            Map<String, int[]> a = outputs.get(Scheduler.STATIC.cliName()), b = outputs.get(Scheduler.CONTINUOUS.cliName());
            if (a != null && b != null) {
                int n = 0;
                for (Map.Entry<String, int[]> e : a.entrySet()) if (Arrays.equals(e.getValue(), b.get(e.getKey()))) n++;
                same = n / (double) a.size();
            }
            BenchReport report = new BenchReport(model, batch, prefixTokens, suffixTokens, dist == null ? newTokens : most, warmupTokens,
                    backendName, threadsUsed, machine(), gflops, null, sgemmSize, null, null, null, mode.cliName(), r, prefixGroups,
                    dist == null ? null : dist.toString(), results, ratio, continuousVs(results), same,
                    "hydragen " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
            printSchedulers(report, console.out());
            if (json != null) {
                Files.writeString(json, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report) + "\n");
            }
            return 0;
        } finally {
            m.close();
        }
    }

    /** Generated tokens/s of {@code continuous} (the run's own lengths) over each other entry's; null without it. */
    private static Map<String, Double> continuousVs(Map<String, BenchReport.SchedulerResult> results) {
        BenchReport.SchedulerResult co = results.get(Scheduler.CONTINUOUS.cliName());
        if (co == null || results.size() < 2) return null;
        Map<String, Double> out = new LinkedHashMap<>();
        for (Map.Entry<String, BenchReport.SchedulerResult> e : results.entrySet()) {
            if (e.getValue() == co || e.getValue().generatedTokensPerS() == 0) continue;
            out.put(e.getKey(), co.generatedTokensPerS() / e.getValue().generatedTokensPerS());
        }
        return out;
    }

    /** Rates and times over every round ({@code total}); counts of one round ({@code one}: every round is the same work). */
    private static BenchReport.SchedulerResult schedulerResult(BatchStats total, double wall, BatchStats one) {
        return new BenchReport.SchedulerResult(total.generatedTokens() / wall, total.decodeTokensPerSecond(),
                total.decodeSteps() == 0 ? 0 : total.decodeTokens() / (double) total.decodeSteps(), wall, total.prefillSeconds(),
                total.decodeNanos() / 1e9, one.sequences(), one.promptTokens(), one.prefilledTokens(), one.sharedPromptTokens(),
                one.generatedTokens(), one.decodeTokens(), one.decodeSteps());
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }

    /** The rows' settings: --temperature t, --top-k, --top-p, --seed, ignoring EOS so every row generates its budget. */
    private SamplingParams sampling(int newTokens, double t) {
        return new SamplingParams(newTokens, t, topK, topP, seed, List.of(), List.of(), true, 1);
    }

    private static void record(Completion c, Map<String, int[]> tokens) {
        if (c.finishReason() == FinishReason.ERROR) throw new UsageException("sequence " + c.requestId() + " failed: " + c.error());
        if (tokens.put(c.requestId(), c.tokenIds()) != null) throw new IllegalStateException("row " + c.requestId() + " answered twice");
    }

    private static void printSchedulers(BenchReport r, PrintStream out) {
        out.printf(Locale.ROOT, "%s: %d rows in %d prefix groups, prefix %d, suffix %d, new tokens %s, at most %d running; %s attention, %s, %d threads%n",
                r.model(), r.rows(), r.prefixGroups(), r.prefixTokens(), r.suffixTokens(),
                r.maxNewTokensDist() != null ? r.maxNewTokensDist() : Integer.toString(r.newTokens()), r.batch(), r.attention(), r.backend(), r.threads());
        out.printf(Locale.ROOT, "%-22s %10s %12s %12s %14s %14s %12s%n", "scheduler", "wall s", "prefilled", "generated", "generated/s", "decode tok/s", "mean running");
        for (Map.Entry<String, BenchReport.SchedulerResult> e : r.schedulers().entrySet()) {
            BenchReport.SchedulerResult s = e.getValue();
            out.printf(Locale.ROOT, "%-22s %10.2f %12d %12d %14.1f %14.1f %12.1f%n", e.getKey(), s.wallS(), s.prefilledTokens(), s.generatedTokens(),
                    s.generatedTokensPerS(), s.decodeTokensPerS(), s.meanRunningSequences());
        }
        if (r.continuousVs() != null) {
            for (Map.Entry<String, Double> e : r.continuousVs().entrySet()) {
                out.printf(Locale.ROOT, "generated tokens/s, continuous vs %s: %.2fx%n", e.getKey(), e.getValue());
            }
        }
        if (r.sameTokensSchedulers() != null) out.printf(Locale.ROOT, "rows with identical tokens (static vs continuous): %.1f%%%n", 100 * r.sameTokensSchedulers());
        out.flush();
    }

    private void checkArguments() {
        if (batch < 1) throw new UsageException("--batch must be >= 1, got " + batch);
        if (prefixTokens < 0 || suffixTokens < 0) throw new UsageException("--prefix-tokens and --suffix-tokens must be >= 0");
        if (prefixTokens + suffixTokens < 1) throw new UsageException("prompts would be empty: give --prefix-tokens or --suffix-tokens above 0");
        if (newTokens < 1) throw new UsageException("--new-tokens must be >= 1, got " + newTokens);
        if (warmupTokens < 0) throw new UsageException("--warmup-tokens must be >= 0, got " + warmupTokens);
        engineOptions.check(true);
        if (sgemmSize < 1) throw new UsageException("--sgemm-size must be >= 1, got " + sgemmSize);
        if (modes.isEmpty()) throw new UsageException("--attention names no mode");
        if (temperatures.isEmpty() || new LinkedHashSet<>(temperatures).size() != temperatures.size()) {
            throw new UsageException("--temperature names no temperature, or one twice");
        }
        if (schedulers != null && temperatures.size() != 1) throw new UsageException("--scheduler compares schedulers at one --temperature");
        try {
            for (double t : temperatures) sampling(1, t);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (schedulers == null && (rows != null || newTokensDist != null || prefixGroups != 1 || prefillTokensPerStep != null || rounds != 1)) {
            throw new UsageException("--rows, --prefix-groups, --max-new-tokens-dist, --prefill-tokens-per-step and --rounds go with --scheduler");
        }
        checkWritable(json, "--json");
        checkWritable(plot, "--plot");
    }

    /** Fails before the (long) run rather than after it. */
    private static void checkWritable(Path p, String option) {
        if (p == null) return;
        Path dir = p.toAbsolutePath().getParent();
        if (Files.isDirectory(p)) throw new UsageException(option + " " + p + ": is a directory");
        if (dir == null || !Files.isDirectory(dir)) throw new UsageException(option + " " + p + ": no such directory " + dir);
    }

    private static GenerationResult run(Engine engine, List<int[]> prompts, SamplingParams params, ProgressListener progress) {
        List<GenerationRequest> requests = new ArrayList<>(prompts.size());
        for (int i = 0; i < prompts.size(); i++) requests.add(GenerationRequest.ofTokens(Integer.toString(i), prompts.get(i), params.withSeed(params.seed() + i)));
        GenerationResult result = engine.generate(requests, progress);
        for (Completion c : result.completions()) {
            if (c.finishReason() == FinishReason.ERROR) throw new UsageException("sequence " + c.requestId() + " failed: " + c.error());
        }
        return result;
    }

    private static BenchReport.ModeResult modeResult(BatchStats s, BenchProfile profile, String matmul, double decodeGflops) {
        return new BenchReport.ModeResult(s.decodeTokensPerSecond(), s.prefillSeconds(), s.decodeNanos() / 1e9, s.promptTokens(),
                s.prefilledTokens(), s.sharedPromptTokens(), s.generatedTokens(), s.decodeTokens(), s.decodeSteps(), matmul, decodeGflops, profile);
    }

    private static BenchReport.Speedup speedup(Map<String, BenchReport.ModeResult> r) {
        BenchReport.ModeResult h = r.get(AttentionMode.HYDRAGEN.cliName()), p = r.get(AttentionMode.PER_SEQUENCE.cliName());
        if (h == null || p == null || p.decodeTokensPerS() == 0) return null;
        return new BenchReport.Speedup(h.decodeTokensPerS() / p.decodeTokensPerS());
    }

    /** Hydragen and per-sequence attention compute the same function; this shows they decoded the same tokens. */
    private static Double sameTokens(Map<AttentionMode, List<Completion>> out) {
        List<Completion> h = out.get(AttentionMode.HYDRAGEN), p = out.get(AttentionMode.PER_SEQUENCE);
        if (h == null || p == null) return null;
        int same = 0;
        for (int i = 0; i < h.size(); i++) if (Arrays.equals(h.get(i).tokenIds(), p.get(i).tokenIds())) same++;
        return same / (double) h.size();
    }

    private static BenchReport.Machine machine() {
        String os = System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch");
        String java = System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")";
        return new BenchReport.Machine(Runtime.getRuntime().availableProcessors(), cpuName(), os, java,
                OffsetDateTime.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }

    /** The CPU model from /proc/cpuinfo (Linux), or null where there is none. */
    private static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the field is optional
        }
        return null;
    }

    private void status(String text) {
        if (!quiet && console.errIsTerminal()) {
            console.err().print("\r" + text + "\u001b[K");
            console.err().flush();
        }
    }

    private static void printTable(BenchReport r, PrintStream out) {
        out.printf(Locale.ROOT, "%s: batch %d, prefix %d, suffix %d, %d new tokens; %s, %d threads%n",
                r.model(), r.batch(), r.prefixTokens(), r.suffixTokens(), r.newTokens(), r.backend(), r.threads());
        out.printf(Locale.ROOT, "%-24s %12s %12s %16s %16s%n", "attention", "prefill s", "prefilled", "generated", "decode tok/s");
        for (Map.Entry<String, BenchReport.ModeResult> e : r.results().entrySet()) {
            BenchReport.ModeResult m = e.getValue();
            out.printf(Locale.ROOT, "%-24s %12.2f %12d %16d %16.1f%n", e.getKey(), m.prefillS(), m.prefilledTokens(),
                    m.generatedTokens(), m.decodeTokensPerS());
        }
        if (r.speedup() != null) out.printf(Locale.ROOT, "speedup hydragen vs per-sequence: %.2fx%n", r.speedup().hydragenVsPerSequence());
        if (r.sameTokens() != null) out.printf(Locale.ROOT, "sequences with identical tokens (hydragen vs per-sequence): %.1f%%%n", 100 * r.sameTokens());
        for (Map.Entry<String, BenchReport.ModeResult> e : r.results().entrySet()) {
            if (e.getValue().decodeProfile() != null) e.getValue().decodeProfile().print(e.getKey(), out);
        }
        if (r.sgemmGflops() != null) out.printf(Locale.ROOT, "SGEMM %d\u00b3: %.1f GFLOP/s%n", r.sgemmSize(), r.sgemmGflops());
        if (r.bf16GemmGflops() != null) out.printf(Locale.ROOT, "BF16 GEMM %d\u00b3 (bf16 kernel, AMX tiles where the CPU has them): %.1f GFLOP/s%n", r.sgemmSize(), r.bf16GemmGflops());
        for (Map.Entry<String, BenchReport.ModeResult> e : r.results().entrySet()) {
            BenchReport.ModeResult m = e.getValue();
            if (m.matmul() != null) out.printf(Locale.ROOT, "%s: matrix products %s, decode %.1f GFLOP/s%n", e.getKey(), m.matmul(), m.decodeGflops());
        }
        out.flush();
    }
}
