package io.hydragen.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.score.ScoreRequest;
import io.hydragen.score.ScoreResult;
import io.hydragen.score.Scores;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hydragen score}: the log-likelihood of each candidate continuation of each prompt, as lm-evaluation-harness
 * computes it, in one engine call, so a prompt shared by its candidates and a few-shot prefix shared by all prompts are
 * each prefilled once ({@link io.hydragen.score.Scorer}).
 */
@Command(name = "score", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = {"Score candidate continuations: one {\"id\": ..., \"prompt\": \"...\", \"candidates\": [\"...\", ...]} per line",
                "(or \"messages\" instead of \"prompt\", rendered with the chat template). Writes one line per input line,",
                "in input order: {\"id\", \"scores\": [{\"candidate\", \"logprob\", \"tokens\", \"greedy\"}, ...], \"best\", \"error\"},",
                "logprob being the sum of the candidate's token log-probabilities and greedy whether each was the most likely.",
                "A bad line gets its error and the rest are still scored."})
final class ScoreCommand implements Callable<Integer> {
    private final Console console;

    ScoreCommand(Console console) { this.console = console; }

    @Option(names = "--model", required = true, paramLabel = "M", description = "A Hugging Face model directory, or synthetic:NAME.")
    String model;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "Prompts and candidates, JSONL ('-' for stdin).")
    String input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Scores, JSONL ('-' for stdout).")
    String output;

    @Option(names = "--normalize", description = "Also write normalized_logprob (logprob / tokens) and choose best by it.")
    boolean normalize;

    @Mixin
    ChatOptions chat = new ChatOptions();

    @Mixin
    SharingOptions sharing = new SharingOptions();

    @Mixin
    BackendOptions engineOptions = new BackendOptions();

    @Option(names = "--batch-size", defaultValue = "1024", paramLabel = "N",
            description = "Most (prompt, candidate) pairs prefilled together; a few-shot prefix is prefilled once per batch (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = {"-q", "--quiet"}, description = "No summary on stderr.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        sharing.check();
        if (batchSize < 1) throw new UsageException("--batch-size must be >= 1, got " + batchSize);
        engineOptions.check();
        chat.check();
        ObjectMapper json = GenerateCommand.jsonMapper();
        List<PromptRow> rows = readRows(json);
        List<ScoreLine> lines = new ArrayList<>(rows.size());
        List<ScoreRequest> requests = new ArrayList<>();
        List<Integer> requestLine = new ArrayList<>();
        for (PromptRow r : rows) {
            String bad = r.ok() ? candidatesError(r) : r.error();
            if (bad != null) { lines.add(ScoreLine.error(r.id(), bad)); continue; }
            lines.add(null);
            requestLine.add(lines.size() - 1);
            requests.add(request(r));
        }
        long start = System.nanoTime();
        Scores scores = new Scores(List.of(), io.hydragen.generate.BatchStats.EMPTY);
        if (!requests.isEmpty()) {
            EngineOptions options = sharing.applyTo(engineOptions.applyTo(EngineOptions.of(model))).withMaxBatchSequences(batchSize);
            try (Engine engine = Engine.open(options)) {
                scores = engine.score(requests, options.batchOptions(), io.hydragen.generate.ProgressListener.NONE);
            }
        }
        int errors = 0;
        for (int i = 0; i < requests.size(); i++) {
            int at = requestLine.get(i);
            lines.set(at, ScoreLine.of(rows.get(at).id(), scores.results().get(i), normalize));
        }
        try (GenerateCommand.Sink sink = GenerateCommand.Sink.open(output, console)) {
            for (ScoreLine l : lines) {
                if (l.error() != null) errors++;
                sink.writer().write(json.writeValueAsString(l) + "\n");
            }
            sink.commit();
        }
        if (!quiet) {
            var s = scores.stats();
            console.err().println(String.format(Locale.ROOT, "hydragen: %d rows (%d errors), %d pairs; %d prompt tokens, %d prefilled; %.1f s",
                    rows.size(), errors, s.sequences(), s.promptTokens(), s.prefilledTokens(), (System.nanoTime() - start) / 1e9));
        }
        return 0;
    }

    private List<PromptRow> readRows(ObjectMapper json) throws IOException {
        PromptFile file = new PromptFile(json);
        if (input.equals("-")) return file.read(console.in());
        Path p = Path.of(input);
        if (Files.isDirectory(p)) throw new UsageException(input + ": is a directory, expected a JSONL file of prompts and candidates");
        try (InputStream in = Files.newInputStream(p)) {
            return file.read(in);
        }
    }

    /** Why a line's {@code "candidates"} is unusable (absent, not a non-empty array of strings), or null. */
    private static String candidatesError(PromptRow r) {
        String at = "line " + (r.line() + 1) + ": ";
        JsonNode c = r.fields() == null ? null : r.fields().get("candidates");
        if (c == null || c.isNull()) return at + "no \"candidates\"";
        if (!c.isArray() || c.isEmpty()) return at + "\"candidates\" must be a non-empty array of strings";
        for (int i = 0; i < c.size(); i++) {
            if (!c.get(i).isTextual()) return at + "candidates[" + i + "] must be a string";
        }
        return null;
    }

    private ScoreRequest request(PromptRow r) {
        List<String> candidates = new ArrayList<>();
        r.fields().get("candidates").forEach(c -> candidates.add(c.textValue()));
        String id = Integer.toString(r.line());
        if (r.messages() == null) return ScoreRequest.ofText(id, r.prompt(), candidates);
        boolean addGenerationPrompt = chat.addGenerationPrompt(r.addGenerationPrompt());
        return ScoreRequest.ofMessages(id, r.messages(), addGenerationPrompt, chat.templatePath(), candidates);
    }
}
