package io.hydragen.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.hydragen.constrain.Constraint;
import io.hydragen.constrain.ConstraintBench;
import io.hydragen.model.JsonFiles;
import io.hydragen.tokenizer.HfTokenizer;
import io.hydragen.tokenizer.TokenizerLoader;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Compile cost and warm step cost of a structured-output constraint against tokenizers' vocabularies. */
@Command(name = "bench-constraint", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = {"Times a constraint (--json-schema, --regex or --choice) against each tokenizer's vocabulary:",
                "vocabulary preparation, automata, first mask, every state's mask (per-token walk, trie walk, parallel),",
                "and a warm decode step's mask. Wall-clock medians: compare ratios within one run."})
final class BenchConstraintCommand implements Callable<Integer> {
    private final Console console;

    BenchConstraintCommand(Console console) { this.console = console; }

    @Option(names = "--tokenizer", required = true, split = ",", paramLabel = "DIR",
            description = "Directories with a tokenizer.json (a model directory works); comma-separated or repeated.")
    List<Path> tokenizers;

    @Mixin
    ConstraintOptions constraintOptions = new ConstraintOptions();

    @Option(names = "--threads", defaultValue = "0", paramLabel = "T", description = "Threads of the parallel compile; 0 = all cores (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--reps", defaultValue = "3", paramLabel = "N", description = "Timed runs after one untimed; medians reported (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
    Path json;

    @Override
    public Integer call() throws IOException {
        Constraint c = constraintOptions.constraint();
        if (c == null) throw new UsageException("give the constraint to time: --json-schema, --regex or --choice");
        if (reps < 1) throw new UsageException("--reps must be at least 1");
        int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        PrintStream out = console.out();
        List<ConstraintBench.Result> results = new ArrayList<>();
        for (Path dir : tokenizers) {
            try (HfTokenizer tok = TokenizerLoader.load(dir)) {
                int vocab = vocabSize(dir);
                ConstraintBench.run(dir.toString(), c, tok, vocab, 1, t); // untimed: JIT, class loading
                ConstraintBench.Result r = ConstraintBench.run(dir.toString(), c, tok, vocab, reps, t);
                results.add(r);
                print(out, r);
            }
        }
        if (json != null) {
            JsonFiles.MAPPER.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), results);
        }
        return 0;
    }

    private static void print(PrintStream out, ConstraintBench.Result r) {
        out.printf("%s: vocabulary %d, %d byte-DFA states, %d tokens allowed per state on average%n",
                r.constraint(), r.vocabSize(), r.byteStates(), r.meanAllowed());
        out.printf("  vocabulary prepared (once per tokenizer) %9.1f ms%n", r.vocabMs());
        out.printf("  automata (once per constraint)           %9.1f ms  (with dk.brics' minimize: %.1f ms, %.1fx)%n",
                r.automataMs(), r.automataBricsMs(), r.automataBricsMs() / r.automataMs());
        out.printf("  first mask                               %9.2f ms%n", r.firstMaskMs());
        out.printf("  every state's mask: per-token walk       %9.1f ms%n", r.allPerTokenMs());
        out.printf("                      trie walk before     %9.1f ms  (%.1fx faster)%n", r.allTrieBeforeMs(), r.allPerTokenMs() / r.allTrieBeforeMs());
        out.printf("                      trie walk, 1 thread  %9.1f ms  (%.1fx faster)%n", r.allTrieMs(), r.allPerTokenMs() / r.allTrieMs());
        out.printf("                      trie walk, %d threads %9.1f ms  (%.1fx faster)%n", r.threads(), r.allParallelMs(), r.allPerTokenMs() / r.allParallelMs());
        out.printf("  warm step, masked copy of the logits     %9.2f us  (copy + per-id mask %.2f us, copy alone %.2f us)%n",
                r.stepNs() / 1e3, r.stepPerTokenNs() / 1e3, r.copyNs() / 1e3);
        out.flush();
    }

    /** The model's vocab_size from config.json beside the tokenizer, else the tokenizer's largest id + 1. */
    static int vocabSize(Path dir) throws IOException {
        Path cfg = dir.resolve("config.json");
        if (Files.isRegularFile(cfg)) {
            JsonNode v = JsonFiles.readObject(cfg).get("vocab_size");
            if (v != null && v.canConvertToInt()) return v.asInt();
        }
        JsonNode root = JsonFiles.MAPPER.readTree(dir.resolve("tokenizer.json").toFile());
        int max = -1;
        for (JsonNode id : root.path("model").path("vocab")) max = Math.max(max, id.isInt() ? id.asInt() : -1);
        if (root.path("model").path("vocab").isArray()) max = root.path("model").path("vocab").size() - 1;
        for (JsonNode a : root.path("added_tokens")) max = Math.max(max, a.path("id").asInt(-1));
        return max + 1;
    }
}
