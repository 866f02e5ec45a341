package io.hydragen.cli;

import io.hydragen.attention.AttentionMode;
import io.hydragen.generate.BatchStats;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.generate.ProgressListener;
import io.hydragen.score.ScoreRequest;
import io.hydragen.score.ScoreResult;
import io.hydragen.score.Scores;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hydragen bench-score}: scoring a few-shot multiple-choice table, in one run, with the two-level plan (the
 * few-shot prefix shared by all questions, each question shared by its candidates, Hydragen attention) and as the
 * baseline that scores each (question, candidate) pair as its own prompt (no prefix sharing, per-sequence attention).
 * Prints tokens prefilled and seconds of each, their ratios, and the largest score difference between the two.
 */
@Command(name = "bench-score", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = {"Benchmark scoring a few-shot multiple-choice table: the two-level shared plan against each",
                "(question, candidate) pair scored as its own prompt, in one run: tokens prefilled and time."})
final class BenchScoreCommand implements Callable<Integer> {
    private static final String[] WORDS = {"river", "stone", "apple", "cloud", "market", "silver", "window", "garden", "yellow",
            "engine", "forest", "letter", "mirror", "pocket", "rabbit", "summer", "ticket", "valley", "winter", "bridge"};

    private final Console console;

    BenchScoreCommand(Console console) { this.console = console; }

    @Option(names = "--model", defaultValue = "synthetic:cpu-bench", paramLabel = "M", description = "Model (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--prefix-words", defaultValue = "1500", paramLabel = "N", description = "Words of the few-shot prefix (default ${DEFAULT-VALUE}).")
    int prefixWords;

    @Option(names = "--questions", defaultValue = "256", paramLabel = "Q", description = "Questions (default ${DEFAULT-VALUE}).")
    int questions;

    @Option(names = "--candidates", defaultValue = "4", paramLabel = "C", description = "Candidates per question (default ${DEFAULT-VALUE}).")
    int candidates;

    @Option(names = "--plans", defaultValue = "two-level,per-pair", split = ",", paramLabel = "P",
            description = "two-level and/or per-pair (default ${DEFAULT-VALUE}).")
    List<String> plans;

    @Mixin
    BackendOptions engineOptions = new BackendOptions();

    @Override
    public Integer call() {
        engineOptions.check();
        if (prefixWords < 1 || questions < 1 || candidates < 1) throw new UsageException("--prefix-words, --questions and --candidates must be >= 1");
        for (String p : plans) if (!p.equals("two-level") && !p.equals("per-pair")) throw new UsageException("--plans: two-level or per-pair, got " + p);
        List<ScoreRequest> table = table();
        int pairs = questions * candidates;
        console.out().printf(Locale.ROOT, "%s: few-shot prefix of %d words, %d questions x %d candidates = %d pairs%n",
                model, prefixWords, questions, candidates, pairs);
        console.out().printf(Locale.ROOT, "%-10s %14s %16s %10s%n", "plan", "prompt tokens", "prefilled tokens", "seconds");
        List<double[]> figures = new ArrayList<>();
        List<Scores> results = new ArrayList<>();
        for (String plan : plans) {
            boolean shared = plan.equals("two-level");
            EngineOptions o = engineOptions.applyTo(EngineOptions.of(model))
                    .withAttention(shared ? AttentionMode.HYDRAGEN : AttentionMode.PER_SEQUENCE)
                    .withMinSharedTokens(shared ? 16 : Integer.MAX_VALUE).withMaxBatchSequences(shared ? pairs : 64);
            try (Engine engine = Engine.open(o)) {
                long t0 = System.nanoTime();
                Scores s = engine.score(table, o.batchOptions(), ProgressListener.NONE);
                double seconds = (System.nanoTime() - t0) / 1e9;
                BatchStats st = s.stats();
                for (ScoreResult r : s.results()) if (r.error() != null) throw new IllegalStateException(plan + ": " + r.error());
                console.out().printf(Locale.ROOT, "%-10s %14d %16d %10.2f%n", plan, st.promptTokens(), st.prefilledTokens(), seconds);
                console.out().flush();
                figures.add(new double[] {st.prefilledTokens(), seconds});
                results.add(s);
            }
        }
        if (figures.size() == 2) {
            console.out().printf(Locale.ROOT, "%s prefills %.1fx fewer tokens and is %.1fx faster; largest score difference %.2e%n",
                    plans.get(0), figures.get(1)[0] / figures.get(0)[0], figures.get(1)[1] / figures.get(0)[1], maxDiff(results.get(0), results.get(1)));
        }
        return 0;
    }

    /** The table: a prefix of random words with answered examples, then questions, each with its candidates. */
    private List<ScoreRequest> table() {
        SplittableRandom rnd = new SplittableRandom(BenchWorkload.SEED);
        StringBuilder prefix = new StringBuilder("Answer each question with one of the choices.\n");
        for (int w = 0; w < prefixWords; w++) {
            prefix.append(WORDS[rnd.nextInt(WORDS.length)]).append(w % 12 == 11 ? "?\nA: " + WORDS[rnd.nextInt(WORDS.length)] + "\nQ: " : " ");
        }
        List<ScoreRequest> out = new ArrayList<>(questions);
        for (int q = 0; q < questions; q++) {
            StringBuilder question = new StringBuilder(prefix).append("Question ").append(q).append(':');
            for (int w = 0; w < 8; w++) question.append(' ').append(WORDS[rnd.nextInt(WORDS.length)]);
            question.append("?\nA:");
            List<String> cands = new ArrayList<>(candidates);
            for (int c = 0; c < candidates; c++) cands.add(" " + WORDS[(q + c) % WORDS.length] + " " + WORDS[(q * 7 + c * 3) % WORDS.length]);
            out.add(ScoreRequest.ofText("q" + q, question.toString(), cands));
        }
        return out;
    }

    private static double maxDiff(Scores a, Scores b) {
        double d = 0;
        for (int r = 0; r < a.results().size(); r++) {
            for (int c = 0; c < a.results().get(r).scores().size(); c++) {
                d = Math.max(d, Math.abs(a.results().get(r).scores().get(c).logprob() - b.results().get(r).scores().get(c).logprob()));
            }
        }
        return d;
    }
}
