package io.hydragen.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.hydragen.generate.BatchStats;
import io.hydragen.generate.Completion;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.generate.FinishReason;
import io.hydragen.generate.GenerationDefaults;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.GenerationResult;
import io.hydragen.generate.SamplingParams;
import io.hydragen.seed.RowSeeds;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code hydragen generate}: completes every line of a JSONL prompts file with one engine call, so prompts that
 * share a prefix anywhere in the file share its KV, and writes one JSONL line per sample in input order.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class, sortOptions = false,
        description = {"Complete the prompts of a JSONL file, one {\"id\": ..., \"prompt\": \"...\"} per line",
                "(or {\"id\": ..., \"messages\": [{\"role\": ..., \"content\": ...}, ...]}, rendered with the chat template)",
                "(id: a string or a number, echoed back; default the 0-based line number; blank lines are skipped).",
                "Writes one JSON line per sample, in input order; a bad line (not UTF-8, not JSON, no prompt, too long) gets",
                "finish_reason \"error\" and a message naming the line, and the rest are still answered."})
final class GenerateCommand implements Callable<Integer> {
    private final Console console;

    GenerateCommand(Console console) { this.console = console; }

    @Option(names = "--model", required = true, paramLabel = "M", description = "A Hugging Face model directory, or synthetic:NAME.")
    String model;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "Prompts, JSONL ('-' for stdin).")
    String input;

    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Completions, JSONL ('-' for stdout).")
    String output;

    // Sampling options left unset (null) take the model's generation_config.json value, else the built-in default.
    @Option(names = {"--max-new-tokens", "--max-tokens"}, paramLabel = "N", description = "New tokens per sample at most (default: the model's generation_config.json, else 16).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default: the model's generation_config.json, else 0).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens; 0 = all (default: the model's generation_config.json, else 0).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass, in (0, 1] (default: the model's generation_config.json, else 1).")
    Double topP;

    @Option(names = "--generation-config", defaultValue = "auto", paramLabel = "MODE", description = {
            "auto: sampling settings the command line leaves unset come from the model's generation_config.json",
            "(temperature, top_k, top_p, max_new_tokens), as in vLLM; ignore: built-in defaults (default ${DEFAULT-VALUE})."})
    String generationConfig;

    @Option(names = "--seed", paramLabel = "S", description = {
            "Run seed: a line's seed is derived from S and its \"id\" (else its prompt and its ordinal among equal prompts),",
            "so identical prompts get different samples and the run is reproducible; sample i of a line uses the stream",
            "(line seed, i). Default: a fresh seed per line. Each output line records its seed; an input line's own \"seed\" is used as is."})
    Long seed;

    @Option(names = "--n", defaultValue = "1", paramLabel = "N", description = "Samples per prompt (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--stop", paramLabel = "STR", description = {
            "Stop when the completion contains STR (cut from the text); repeatable, one string each",
            "(commas are kept). Escapes: \\n newline, \\t tab, \\r, \\\\ backslash, \\\" quote, \\uXXXX;",
            "e.g. --stop \"\\n\\n\"."})
    List<String> stop = new ArrayList<>();

    @Option(names = "--stop-token-id", paramLabel = "ID", description = "Stop after this token id; repeatable.")
    List<Integer> stopTokenIds = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating after an end-of-sequence token.")
    boolean ignoreEos;

    @Mixin
    ChatOptions chat = new ChatOptions();

    @Mixin
    SharingOptions sharing = new SharingOptions();

    @Mixin
    BackendOptions engineOptions = new BackendOptions();

    @Mixin
    ConstraintOptions constraintOptions = new ConstraintOptions();

    @Mixin
    LogprobOptions logprobOptions = new LogprobOptions();

    @Option(names = "--batch-size", defaultValue = "256", paramLabel = "N", description = "Most samples decoded together (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin
    SchedulerOptions scheduling = new SchedulerOptions();

    @Option(names = {"-q", "--quiet"}, description = "No progress and no summary on stderr.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        sharing.check();
        engineOptions.check();
        if (batchSize < 1) throw new UsageException("--batch-size must be >= 1, got " + batchSize);
        scheduling.check();
        chat.check();
        List<String> stops = new ArrayList<>();
        for (String st : stop) stops.add(Escapes.unescape("--stop", st));
        if (!generationConfig.equals("auto") && !generationConfig.equals("ignore")) {
            throw new UsageException("--generation-config must be auto or ignore, got '" + generationConfig + "'");
        }
        GenerationDefaults defaults = generationConfig.equals("ignore") ? GenerationDefaults.NONE : modelDefaults();
        // checks the settings once, before reading the input; each line then gets its own seed
        SamplingParams params = new SamplingParams(defaults.maxNewTokens(maxNewTokens), defaults.temperature(temperature),
                defaults.topK(topK), defaults.topP(topP), 0, stops, stopTokenIds, ignoreEos, n).withConstraint(constraintOptions.constraint());
        params = logprobOptions.applyTo(params);

        ObjectMapper json = jsonMapper();
        List<PromptRow> rows = readRows(json);
        try (Sink sink = Sink.open(output, console)) {
            long start = System.nanoTime();
            List<GenerationRequest> requests = new ArrayList<>();
            Map<Integer, Long> seeds = rowSeeds(rows);
            for (PromptRow r : rows) if (r.ok()) requests.add(request(r, params.withSeed(seeds.get(r.line()))));

            ProgressPrinter progress = new ProgressPrinter(console, quiet, requests.size() * n, batchSize, "");
            GenerationResult result;
            SchedulerOptions.Written streamed = null;
            if (requests.isEmpty()) {
                result = new GenerationResult(List.of(), BatchStats.EMPTY);
            } else {
                progress.status("loading " + model + " ...");
                EngineOptions options = sharing.applyTo(engineOptions.applyTo(EngineOptions.of(model))).withMaxBatchSequences(batchSize);
                try (Engine engine = Engine.open(options)) {
                    progress.begin();
                    if (scheduling.streams()) {
                        streamed = scheduling.stream(engine, options.batchOptions(), requests, rows, n, sink.writer(),
                                (row, i, c) -> outputLine(row, i, c, seeds, json));
                        result = new GenerationResult(List.of(), streamed.stats());
                    } else {
                        result = engine.generate(requests, progress);
                    }
                } finally {
                    progress.finish();
                }
            }
            int errors = streamed != null ? streamed.errors() : write(rows, seeds, result, sink.writer(), json);
            sink.commit();
            if (!quiet) console.err().println(summary(rows.size(), errors, result.stats(), (System.nanoTime() - start) / 1e9));
        }
        return 0;
    }

    /** The model's generation_config.json defaults; none when the model cannot be read here (loading it reports that). */
    private GenerationDefaults modelDefaults() {
        try {
            return GenerationDefaults.of(model);
        } catch (RuntimeException e) {
            return GenerationDefaults.NONE;
        }
    }

    /** A line's request: its prompt, or its messages rendered with the chat template. */
    private GenerationRequest request(PromptRow r, SamplingParams params) {
        String id = Integer.toString(r.line());
        if (r.constraint() != null) params = params.withConstraint(r.constraint()); // a line's own constraint wins
        params = LogprobOptions.rowParams(r.fields(), params);                       // and its own log-probability settings
        if (r.messages() == null) return GenerationRequest.ofText(id, r.prompt(), params);
        boolean addGenerationPrompt = chat.addGenerationPrompt(r.addGenerationPrompt());
        return GenerationRequest.ofMessages(id, r.messages(), addGenerationPrompt, params)
                .withChatTemplate(chat.templatePath());
    }

    /** Reads prompt lines and writes output rows: exact decimals (an id like 1.10 is echoed as given), one value a line. */
    static ObjectMapper jsonMapper() {
        return new ObjectMapper().setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(SerializationFeature.FLUSH_AFTER_WRITE_VALUE);
    }

    private List<PromptRow> readRows(ObjectMapper json) throws IOException {
        PromptFile file = new PromptFile(json);
        if (input.equals("-")) return file.read(console.in());
        Path p = Path.of(input);
        if (Files.isDirectory(p)) throw new UsageException(input + ": is a directory, expected a JSONL file of prompts");
        try (InputStream in = Files.newInputStream(p)) {
            return file.read(in);
        }
    }

    /**
     * Each usable line's seed ({@link RowSeeds}): its own {@code "seed"}; else, with {@code --seed S}, derived from S
     * and its id (else its prompt and its ordinal among equal prompts, in file order); else a fresh random seed.
     */
    private Map<Integer, Long> rowSeeds(List<PromptRow> rows) {
        Map<Integer, Long> seeds = new HashMap<>();
        Map<String, Long> ordinals = new HashMap<>();
        java.security.SecureRandom fresh = seed == null ? new java.security.SecureRandom() : null;
        for (PromptRow r : rows) {
            if (!r.ok()) continue;
            // a conversation's identity is its messages as JSON text, as in Spark's routing
            String text = r.prompt() != null ? r.prompt() : r.fields().get("messages").toString();
            long ordinal = r.userId() ? 0 : ordinals.merge(text, 1L, Long::sum) - 1;
            long s;
            if (r.seed() != null) s = r.seed();
            else if (seed == null) s = fresh.nextLong();
            else s = RowSeeds.forRow(seed, r.userId() ? r.id().asText() : null, text, ordinal);
            seeds.put(r.line(), s);
        }
        return seeds;
    }

    /**
     * Writes every row's samples in input order, each line the input line's fields followed by the output's (an output
     * field replaces an input field of the same name); returns how many lines are errors.
     */
    private int write(List<PromptRow> rows, Map<Integer, Long> seeds, GenerationResult result, Writer w, ObjectMapper json) throws IOException {
        Iterator<Completion> completions = result.completions().iterator();
        int errors = 0;
        for (PromptRow r : rows) {
            for (int i = 0; i < n; i++) {
                Completion c = null;
                if (r.ok()) {
                    c = completions.next();
                    if (!c.requestId().equals(Integer.toString(r.line())) || c.sampleIndex() != i) {
                        throw new IllegalStateException("engine returned completions out of order: " + c.requestId() + "/" + c.sampleIndex());
                    }
                }
                OutputLine line = outputLine(r, i, c, seeds, json);
                if (line.error()) errors++;
                w.write(line.text());
            }
        }
        return errors;
    }

    /** One written line, with a newline, and whether it is an error. */
    record OutputLine(String text, boolean error) {}

    /**
     * The line of sample {@code i} of row {@code r} ({@code c} null: the row's own error): the input line's fields,
     * then the output's (an output field replaces an input field of the same name). The one format of both the
     * written-at-the-end and the streamed paths.
     */
    private OutputLine outputLine(PromptRow r, int i, Completion c, Map<Integer, Long> seeds, ObjectMapper json) {
        Integer sampleIndex = n > 1 ? i : null;
        OutputRow out;
        if (c == null) {
            out = OutputRow.error(r.id(), sampleIndex, r.error());
        } else {
            out = OutputRow.of(r.id(), sampleIndex, seeds.get(r.line()), c);
            if (r.messages() != null) out = out.withPrompt(c.promptText());
        }
        com.fasterxml.jackson.databind.node.ObjectNode line = json.valueToTree(out);
        com.fasterxml.jackson.databind.node.ObjectNode written = line;
        if (r.fields() != null) {
            written = json.createObjectNode();
            written.set("id", line.get("id"));
            com.fasterxml.jackson.databind.node.ObjectNode w = written;
            r.fields().fields().forEachRemaining(f -> { if (!line.has(f.getKey())) w.set(f.getKey(), f.getValue()); });
            written.setAll(line);
        }
        try {
            return new OutputLine(json.writeValueAsString(written) + "\n", FinishReason.ERROR.wireName().equals(out.finishReason()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String summary(int rows, int errors, BatchStats s, double seconds) {
        double sharedPct = s.promptTokens() == 0 ? 0 : 100.0 * s.sharedPromptTokens() / s.promptTokens();
        return String.format(Locale.ROOT,
                "hydragen: %d rows, %d samples (%d errors); %d prompt tokens, %d prefilled (%.1f%% shared); %d generated; "
                        + "prefill %.2f s, decode %.1f tokens/s; %.1f s in all",
                rows, rows * n, errors, s.promptTokens(), s.prefilledTokens(), sharedPct, s.generatedTokens(),
                s.prefillSeconds(), s.decodeTokensPerSecond(), seconds);
    }

    /**
     * Where the output goes: stdout, or a temporary file next to the target that replaces it only once every line
     * is written, so a failed run never leaves a half-written file that looks finished. The rename replaces whatever
     * is at the output path: a symlink there is replaced by the new file, its target is left alone.
     */
    static final class Sink implements AutoCloseable {
        private final Writer writer;
        private final Path tmp, target;
        private boolean committed;

        private Sink(Writer writer, Path tmp, Path target) {
            this.writer = writer;
            this.tmp = tmp;
            this.target = target;
        }

        static Sink open(String output, Console console) throws IOException {
            if (output.equals("-")) {
                return new Sink(new BufferedWriter(new OutputStreamWriter(console.out(), StandardCharsets.UTF_8)), null, null);
            }
            Path target = Path.of(output).toAbsolutePath();
            if (Files.isDirectory(target)) throw new UsageException(output + ": is a directory, expected a file to write");
            Path dir = target.getParent();
            if (!Files.isDirectory(dir)) throw new UsageException(output + ": no such directory " + dir);
            // A new file with a unique name, created atomically (O_EXCL: a planted file or symlink is never followed
            // or reused), private to the user (0600) while it is written; an existing output keeps its permissions.
            Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            tmp.toFile().deleteOnExit(); // also on Ctrl-C, which skips finally blocks
            try {
                if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(target, LinkOption.NOFOLLOW_LINKS));
                }
            } catch (UnsupportedOperationException | IOException e) {
                // not POSIX, or not ours to read: the output stays private to the user
            }
            Writer w;
            try {
                w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                        LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            return new Sink(w, tmp, target);
        }

        Writer writer() { return writer; }

        void commit() throws IOException {
            writer.flush();
            if (tmp != null) {
                writer.close();
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            committed = true;
        }

        @Override
        public void close() throws IOException {
            if (tmp == null) { writer.flush(); return; }
            writer.close();
            if (!committed) Files.deleteIfExists(tmp);
        }
    }
}
