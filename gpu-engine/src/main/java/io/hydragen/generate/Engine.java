package io.hydragen.generate;

import io.hydragen.backend.AllocationException;
import io.hydragen.backend.Backend;
import io.hydragen.backend.Backends;
import io.hydragen.chat.ChatTemplate;
import io.hydragen.chat.ChatTemplateException;
import io.hydragen.chat.ChatTemplates;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;
import io.hydragen.plan.PrefixPlanner;
import io.hydragen.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.nio.file.Path;

/**
 * The engine: a loaded model on a backend. {@link #generate} plans the shared prefixes of a batch of requests,
 * prefills each shared segment once, and decodes all samples together with Hydragen attention. Thread-safe:
 * concurrent callers are served one batch at a time.
 *
 * <p>Errors: a bad request (empty, too long, ...) or a sequence whose logits are not finite gets a {@link Completion}
 * with {@link FinishReason#ERROR} and a message, while the others are answered. Cancellation: when the calling thread is
 * interrupted, {@link #generate} and {@link #promptLogits} stop within one forward pass and throw
 * {@link GenerationCancelledException} (a {@link CancellationException}); the call's KV is freed, the thread's
 * interrupt status stays set, and the engine serves the next call normally.
 *
 * <p>Chat: a request with {@link GenerationRequest#messages()} is rendered with the chat template (the request's
 * {@link GenerationRequest#chatTemplate()} file, else the model's {@code chat_template.jinja}, else
 * {@code tokenizer_config.json}'s {@code chat_template}), loaded once per engine and file, and tokenized without
 * adding special tokens; a template that refuses the conversation, or a model without a template, is that request's
 * error. Its completions carry the rendered text ({@link Completion#promptText()}).
 *
 * <p>Scheduling ({@link BatchOptions#scheduler()}): {@link Scheduler#STATIC} (the default) cuts the request list into
 * batches, each decoded until its last sequence finishes; {@link Scheduler#CONTINUOUS} keeps up to
 * {@link BatchOptions#maxBatchSequences()} sequences running, admitting waiting ones as others finish
 * ({@link ContinuousScheduler}). Both give every sequence the same tokens. {@link #stream} serves a stream of requests
 * and hands completions out as they finish.
 */
public final class Engine implements AutoCloseable {
    /** Prompt tokens per prefill forward pass: bounds activation memory for long prompts. */
    static final int PREFILL_CHUNK = 2048;

    private final Model model;
    private final Backend backend;
    private final EngineOptions options;
    private final StopCheck stopCheck;
    private final PrefixKvCache prefixCache;   // null unless options.prefixCacheTokens() > 0
    /** Chat templates by file ("" = the model's own): a ChatTemplate, or the String error loading it gave. */
    private final Map<String, Object> chatTemplates = new ConcurrentHashMap<>();
    private volatile GenerationDefaults generationDefaults; // read on first use

    private Engine(Model model, Backend backend, EngineOptions options) {
        this.model = model;
        this.backend = backend;
        this.options = options;
        this.stopCheck = new StopCheck(model.tokenizer(), model.config().maxPositionEmbeddings());
        this.prefixCache = options.prefixCacheTokens() > 0 ? new PrefixKvCache(backend, options.prefixCacheTokens()) : null;
    }

    /** Loads the model and puts it on the chosen backend. */
    public static Engine open(EngineOptions options) {
        Model model = ModelLoader.load(options.model());
        try {
            return new Engine(model, Backends.create(model, options), options);
        } catch (RuntimeException | Error e) {
            model.close();
            throw e;
        }
    }

    /** An engine over an already loaded model (tests, exported checkpoints). */
    public static Engine open(Model model, EngineOptions options) {
        return new Engine(model, Backends.create(model, options), options);
    }

    /** An engine over a given backend (tests wrap a backend to observe or fail its allocations). */
    static Engine open(Model model, Backend backend, EngineOptions options) {
        return new Engine(model, backend, options);
    }

    public GenerationResult generate(List<GenerationRequest> requests) {
        return generate(requests, ProgressListener.NONE);
    }

    public GenerationResult generate(List<GenerationRequest> requests, ProgressListener progress) {
        return generate(requests, options.batchOptions(), progress);
    }

    /** Generates with this call's own planning settings; the model and backend are the engine's. */
    public synchronized GenerationResult generate(List<GenerationRequest> requests, BatchOptions batching, ProgressListener progress) {
        return generate(requests, null, batching, progress);
    }

    /**
     * Prompt log-probabilities of prompt positions {@code fromPositions[i]} on only (earlier entries null): each request
     * with {@link SamplingParams#promptLogprobs()} set, usually with max_new_tokens 0. A shared prompt above those
     * positions is prefilled once and needs no logits (scoring: {@link io.hydragen.score.Scorer}).
     */
    public synchronized GenerationResult promptLogprobsFrom(List<GenerationRequest> requests, int[] fromPositions, BatchOptions batching,
                                                            ProgressListener progress) {
        if (fromPositions.length != requests.size()) throw new IllegalArgumentException(fromPositions.length + " positions for " + requests.size() + " requests");
        return generate(requests, fromPositions, batching, progress);
    }

    /**
     * Scores candidate continuations of prompts: each candidate's log-likelihood, as lm-evaluation-harness computes it,
     * through prompt log-probabilities (see {@link io.hydragen.score.Scorer}).
     */
    public io.hydragen.score.Scores score(List<io.hydragen.score.ScoreRequest> requests, BatchOptions batching, ProgressListener progress) {
        return new io.hydragen.score.Scorer(this).score(requests, batching, progress);
    }

    private GenerationResult generate(List<GenerationRequest> requests, int[] fromPositions, BatchOptions batching, ProgressListener progress) {
        List<List<Completion>> perRequest = new ArrayList<>();
        List<Sequence> valid = new ArrayList<>();
        String[] promptText = new String[requests.size()];
        for (int r = 0; r < requests.size(); r++) {
            GenerationRequest req = requests.get(r);
            perRequest.add(new ArrayList<>());
            int[] ids = null;
            try {
                ids = tokenize(req, promptText, r);
                validate(ids, req.params());
                for (int i = 0; i < req.params().n(); i++) {
                    Sequence s = newSequence(r, i, ids, req.params());
                    if (fromPositions != null) s.promptLogprobsFrom = Math.max(1, fromPositions[r]);
                    valid.add(s);
                }
            } catch (IllegalArgumentException e) {
                int n = req.params() == null ? 1 : req.params().n();
                for (int i = 0; i < n; i++) perRequest.get(r).add(Completion.error(req.id(), i, ids, e.getMessage()));
            }
        }
        BatchStats stats = BatchStats.EMPTY;
        List<Sequence> todo = new ArrayList<>();
        for (Sequence s : valid) {
            if (s.params.maxNewTokens() == 0 && !s.wantsPromptLogprobs()) s.finish = FinishReason.LENGTH;
            else todo.add(s);   // max_new_tokens 0 with prompt log-probabilities: prefill only
        }
        // Sort by prompt so sequences that share a prefix land in the same batch.
        todo.sort(Comparator.<Sequence, int[]>comparing(s -> s.prompt, Arrays::compare).thenComparingInt(s -> s.request).thenComparingInt(s -> s.sampleIndex));
        PrefixPlanner planner = new PrefixPlanner(batching.minSharedTokens());
        try {
            checkCancelled();
            if (batching.scheduler() == Scheduler.CONTINUOUS) {
                stats = continuous(batching, progress).run(todo.iterator(), todo.size(), s -> {});
            } else {
                for (List<Sequence> batch : admit(todo, planner, batching)) stats = stats.plus(runOrSplit(batch, planner, batching, progress));
            }
        } catch (CancellationException e) {
            throw cancelled(e);
        }
        for (Sequence s : valid) perRequest.get(s.request).add(completion(requests.get(s.request), s));
        List<Completion> out = new ArrayList<>();
        for (int r = 0; r < perRequest.size(); r++) {
            List<Completion> c = perRequest.get(r);
            c.sort(Comparator.comparingInt(Completion::sampleIndex));
            for (Completion x : c) out.add(promptText[r] == null ? x : x.withPromptText(promptText[r]));
        }
        return new GenerationResult(out, stats);
    }

    private Completion completion(GenerationRequest req, Sequence s) {
        if (s.error != null) return Completion.error(req.id(), s.sampleIndex, s.prompt, s.error);
        // a constrained completion's text is exactly the bytes its automaton walked (decode may strip a leading space)
        String text = s.text != null ? s.text
                : s.constraint != null ? io.hydragen.tokenizer.TokenBytes.text(model.tokenizer(), s.tokens())
                : model.tokenizer().decode(s.tokens());
        Completion c = new Completion(req.id(), s.sampleIndex, s.prompt, text, s.tokens(), s.finish, s.sharedTokens, s.error);
        SamplingParams p = s.params;
        if (p.logprobs() == null && p.promptLogprobs() == null) return c;
        return c.withLogprobs(p.logprobs() == null ? null : withText(s.logprobs == null ? List.of() : s.logprobs),
                p.logprobs() == null ? null : s.cumulativeLogprob,
                p.promptLogprobs() == null ? null : withText(s.promptLogprobs));
    }

    /** Log-probability entries with their tokens' text (each token decoded alone, as vLLM's {@code decoded_token}). */
    private List<TokenLogprob> withText(List<TokenLogprob> entries) {
        Map<Integer, String> texts = new java.util.HashMap<>();
        java.util.function.IntFunction<String> text = id -> texts.computeIfAbsent(id, i -> model.tokenizer().decode(new int[] {i}));
        TokenLogprob[] out = new TokenLogprob[entries.size()];
        for (int i = 0; i < out.length; i++) out[i] = entries.get(i) == null ? null : entries.get(i).withText(text);
        return java.util.Collections.unmodifiableList(Arrays.asList(out));
    }

    private ContinuousScheduler continuous(BatchOptions batching, ProgressListener progress) {
        long budget = kvBudgetBytes();
        return new ContinuousScheduler(backend, batching.attention(), new PrefixPlanner(batching.minSharedTokens()), stopCheck, batching,
                KvSizing.budgetTokens(budget, backend.kvBytesPerToken()), prefixCache, batching.minSharedTokens(), progress);
    }

    /**
     * Completes a stream of requests, handing each sample's {@link Completion} to {@code out} as soon as it is finished
     * (in finishing order, not request order; a bad request's error at once). With {@link Scheduler#CONTINUOUS} the
     * running batch is kept full as rows finish ({@link ContinuousScheduler}); with {@link Scheduler#STATIC} the stream
     * is cut into lists of {@link BatchOptions#maxBatchSequences()} requests, each generated as by {@link #generate}.
     * Requests are read from {@code requests} only as room frees up (a bounded look-ahead), so the stream may be
     * longer than memory. Holds the engine's lock for the whole stream.
     */
    public synchronized BatchStats stream(java.util.Iterator<GenerationRequest> requests, BatchOptions batching, java.util.function.Consumer<Completion> out) {
        if (batching.scheduler() == Scheduler.STATIC) {
            BatchStats stats = BatchStats.EMPTY;
            while (requests.hasNext()) {
                List<GenerationRequest> chunk = new ArrayList<>();
                while (requests.hasNext() && chunk.size() < batching.maxBatchSequences()) chunk.add(requests.next());
                GenerationResult r = generate(chunk, batching, ProgressListener.NONE);
                r.completions().forEach(out);
                stats = stats.plus(r.stats());
            }
            return stats;
        }
        try (StreamSession session = openStream(requests, batching, out)) {
            while (session.advance()) { /* one scheduling round each */ }
            return session.stats();
        }
    }

    /**
     * The continuous stream of {@link #stream} as a session its caller drives round by round
     * ({@link StreamSession#advance}), taking the completions {@code out} received between rounds: for a caller that is
     * itself pulled, such as a Spark partition iterator, which must return finished rows before its input is read to
     * the end. Requests are read from {@code requests} as in {@link #stream} (a bounded look-ahead). The session does
     * not hold the engine's lock between rounds (each round takes it): the caller must keep other calls off this
     * engine until it closes the session.
     *
     * @throws IllegalArgumentException for {@link Scheduler#STATIC}, which has no rounds
     */
    public synchronized StreamSession openStream(java.util.Iterator<GenerationRequest> requests, BatchOptions batching, java.util.function.Consumer<Completion> out) {
        if (batching.scheduler() != Scheduler.CONTINUOUS) throw new IllegalArgumentException("a stream session needs the continuous scheduler");
        java.util.Map<Integer, GenerationRequest> open = new java.util.HashMap<>();
        java.util.Map<Integer, Integer> left = new java.util.HashMap<>();
        java.util.Map<Integer, String> promptTexts = new java.util.HashMap<>();
        java.util.function.Consumer<Sequence> finished = s -> {
            GenerationRequest req = open.get(s.request);
            Completion c = completion(req, s);
            String text = promptTexts.get(s.request);
            out.accept(text == null ? c : c.withPromptText(text));
            if (left.merge(s.request, -1, Integer::sum) == 0) {
                open.remove(s.request);
                left.remove(s.request);
                promptTexts.remove(s.request);
            }
        };
        java.util.Iterator<Sequence> seqs = new java.util.Iterator<>() {
            private final java.util.ArrayDeque<Sequence> ready = new java.util.ArrayDeque<>();
            private int index;

            @Override public boolean hasNext() {
                while (ready.isEmpty() && requests.hasNext()) pull(requests.next(), index++);
                return !ready.isEmpty();
            }

            @Override public Sequence next() {
                if (!hasNext()) throw new java.util.NoSuchElementException();
                return ready.poll();
            }

            private void pull(GenerationRequest req, int r) {
                int[] ids = null;
                String[] text = new String[1];
                try {
                    ids = tokenize(req, text, 0);
                    validate(ids, req.params());
                } catch (IllegalArgumentException e) {
                    int n = req.params() == null ? 1 : req.params().n();
                    for (int i = 0; i < n; i++) {
                        Completion c = Completion.error(req.id(), i, ids, e.getMessage());
                        out.accept(text[0] == null ? c : c.withPromptText(text[0]));
                    }
                    return;
                }
                open.put(r, req);
                if (text[0] != null) promptTexts.put(r, text[0]);
                left.put(r, req.params().n());
                for (int i = 0; i < req.params().n(); i++) {
                    Sequence s = newSequence(r, i, ids, req.params());
                    if (s.params.maxNewTokens() == 0 && !s.wantsPromptLogprobs()) { s.finish = FinishReason.LENGTH; finished.accept(s); }
                    else ready.add(s);
                }
            }
        };
        ContinuousScheduler scheduler = continuous(batching, ProgressListener.NONE);
        scheduler.start(seqs, 0, finished);
        return new StreamSession(this, scheduler);
    }

    /** Runs {@code round} as the engine's own work: holding its lock, a backend's cancellation turned into the engine's. */
    synchronized <R> R locked(java.util.function.Supplier<R> round) {
        try {
            checkCancelled();
            return round.get();
        } catch (CancellationException e) {
            throw cancelled(e);
        }
    }

    /**
     * Cuts the sorted sequences into sub-batches of at most {@code maxBatchSequences} whose KV fits the budget
     * ({@link KvAdmission}); a sequence that cannot fit even alone gets its error and is left out.
     */
    private List<List<Sequence>> admit(List<Sequence> todo, PrefixPlanner planner, BatchOptions batching) {
        List<List<Sequence>> batches = new ArrayList<>();
        long budget = kvBudgetBytes();
        if (budget <= 0) {
            for (int from = 0; from < todo.size(); from += batching.maxBatchSequences()) {
                batches.add(todo.subList(from, Math.min(todo.size(), from + batching.maxBatchSequences())));
            }
            return batches;
        }
        int n = todo.size();
        List<int[]> prompts = new ArrayList<>(n);
        int[] lengths = new int[n], reserved = new int[n];
        for (int i = 0; i < n; i++) {
            Sequence s = todo.get(i);
            prompts.add(s.prompt);
            lengths[i] = s.prompt.length;
            reserved[i] = s.reservedNewTokens;
        }
        long perToken = backend.kvBytesPerToken();
        KvAdmission.Packing p = KvAdmission.pack(planner.plan(prompts), lengths, reserved, batching.attention() == io.hydragen.attention.AttentionMode.PER_SEQUENCE,
                KvSizing.budgetTokens(budget, perToken), batching.maxBatchSequences());
        for (Map.Entry<Integer, Long> e : p.rejected().entrySet()) {
            Sequence s = todo.get(e.getKey());
            s.error = KvSizing.tooLargeMessage(e.getValue(), s.prompt.length, s.reservedNewTokens, perToken, budget);
        }
        for (List<Integer> b : p.batches()) {
            List<Sequence> batch = new ArrayList<>(b.size());
            for (int i : b) batch.add(todo.get(i));
            batches.add(batch);
        }
        return batches;
    }

    /**
     * Runs one admitted batch. When memory runs out anyway (the budget is an estimate of the KV alone, or there is
     * none), the batch's KV has been freed: it is run again as two halves, down to single rows, and a row that fails
     * alone gets the allocation error as its completion. The engine stays usable either way.
     */
    private BatchStats runOrSplit(List<Sequence> batch, PrefixPlanner planner, BatchOptions batching, ProgressListener progress) {
        try {
            return new BatchRunner(backend, batching.attention(), planner, stopCheck, PREFILL_CHUNK, progress, false,
                    prefixCache, batching.minSharedTokens()).run(batch);
        } catch (RuntimeException e) {
            if (!AllocationException.isAllocationFailure(e)) throw e;
            for (Sequence s : batch) s.reset();
            if (batch.size() == 1) {
                batch.get(0).error = e.getMessage();
                return BatchStats.EMPTY;
            }
            int half = batch.size() / 2;
            return runOrSplit(batch.subList(0, half), planner, batching, progress)
                    .plus(runOrSplit(batch.subList(half, batch.size()), planner, batching, progress));
        }
    }

    /**
     * The KV budget of the next batch, in bytes (0 = none): {@link EngineOptions#kvBudgetBytes()} when it is 0 or
     * positive; with {@link EngineOptions#AUTO_KV_BUDGET} (any negative value), {@link EngineOptions#AUTO_KV_FRACTION}
     * of what the backend reports available now ({@link Backend#availableMemoryBytes()}), or none when the backend
     * knows no limit.
     */
    public long kvBudgetBytes() {
        long b = options.kvBudgetBytes();
        if (b >= 0) return b;
        long avail = backend.availableMemoryBytes();
        if (avail == Long.MAX_VALUE) return 0;
        return Math.max(1, (long) (avail * EngineOptions.AUTO_KV_FRACTION));
    }

    private Sequence newSequence(int request, int sampleIndex, int[] ids, SamplingParams params) {
        Sequence s = new Sequence(request, sampleIndex, ids, params);
        if (params.constraint() != null) {
            s.constraint = ConstraintState.start(ConstraintState.compile(model.tokenizer(), model.config().vocabSize(), params.constraint()),
                    model.tokenizer().eosTokenIds());
        }
        s.reservedNewTokens = KvSizing.reservedNewTokens(ids.length, params.maxNewTokens(), model.config().maxPositionEmbeddings());
        return s;
    }

    /**
     * Next-token logits after each prompt, computed through the same planned, shared prefill as {@link #generate}
     * (for parity checks and scoring).
     */
    public synchronized List<float[]> promptLogits(List<int[]> prompts) {
        SamplingParams one = SamplingParams.GREEDY.withMaxNewTokens(1);
        List<Sequence> seqs = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            validate(prompts.get(i), one);
            seqs.add(newSequence(i, 0, prompts.get(i), one));
        }
        // no prefix cache: these logits are always computed from the prompt itself
        try {
            checkCancelled();
            new BatchRunner(backend, options.attention(), new PrefixPlanner(options.minSharedTokens()), stopCheck, PREFILL_CHUNK,
                    ProgressListener.NONE, true, null, 0).run(seqs);
        } catch (CancellationException e) {
            throw cancelled(e);
        }
        List<float[]> out = new ArrayList<>();
        for (Sequence s : seqs) out.add(s.promptLogits);
        return out;
    }

    /** Throws {@link GenerationCancelledException} when the call should stop before its next pass (both schedulers). */
    static void checkCancelled() {
        if (io.hydragen.backend.Cancellation.requested()) throw new GenerationCancelledException("generation cancelled: the calling thread is interrupted or its caller cancelled it");
    }

    /** A backend's CancellationException as the engine's own; the thread's interrupt status stays set. */
    private static GenerationCancelledException cancelled(CancellationException e) {
        if (e instanceof GenerationCancelledException g) return g;
        if (io.hydragen.backend.Cancellation.signalRaised()) {
            return new GenerationCancelledException("generation cancelled: its caller's cancellation signal was raised", e);
        }
        Thread.currentThread().interrupt(); // thrown for an interrupt: make sure the caller still sees it
        return new GenerationCancelledException("generation cancelled: the calling thread was interrupted", e);
    }

    private int[] tokenize(GenerationRequest req, String[] promptText, int r) {
        if (req.params() == null) throw new IllegalArgumentException("no sampling parameters");
        if (req.promptTokenIds() != null) return req.promptTokenIds();
        if (req.messages() != null) {
            try {
                ChatTemplate t = chatTemplate(req.chatTemplate());
                String text = t.render(req.messages(), req.addGenerationPrompt());
                promptText[r] = text;
                if (text.isEmpty()) throw new IllegalArgumentException("the chat template rendered an empty prompt");
                return model.tokenizer().encode(text, false); // as ChatPrompts.encode: the template wrote BOS itself
            } catch (ChatTemplateException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
        promptText[r] = req.prompt();
        if (req.prompt() == null) throw new IllegalArgumentException("no prompt");
        if (req.prompt().isEmpty()) throw new IllegalArgumentException("empty prompt");
        return model.tokenizer().encode(req.prompt(), true);
    }

    /**
     * The chat template for a request: the given file, or the model's own when null; loaded once per engine and file
     * (a failure too, so a model without a template does not read its files again for every row).
     *
     * @throws ChatTemplateException when there is no template or it cannot be read or parsed
     */
    public ChatTemplate chatTemplate(String overrideFile) {
        Object t = chatTemplates.computeIfAbsent(overrideFile == null ? "" : overrideFile, k -> {
            try {
                return ChatTemplates.load(modelDir(), overrideFile == null ? null : Path.of(overrideFile));
            } catch (ChatTemplateException e) {
                return overrideFile == null && e.getMessage().contains("has no chat template")
                        ? "this model has no chat template; pass --chat-template FILE (option chat_template)"
                        : e.getMessage();
            } catch (RuntimeException e) {
                return "cannot load the chat template: " + e.getMessage();
            }
        });
        if (t instanceof ChatTemplate ct) return ct;
        throw new ChatTemplateException((String) t);
    }

    /**
     * The model's sampling defaults from its generation_config.json ({@link GenerationDefaults#NONE} for a synthetic
     * model or none), read once. The engine does not apply them: callers resolve the settings their user left unset.
     */
    public GenerationDefaults generationDefaults() {
        GenerationDefaults d = generationDefaults;
        if (d == null) generationDefaults = d = GenerationDefaults.of(model.source());
        return d;
    }

    /** The model's directory, or null for a synthetic model. */
    private Path modelDir() {
        String src = model.source();
        return src == null || src.startsWith(io.hydragen.model.ModelLoader.SYNTHETIC_PREFIX) ? null : Path.of(src);
    }

    private void validate(int[] ids, SamplingParams p) {
        int context = model.config().maxPositionEmbeddings();
        if (ids.length == 0) throw new IllegalArgumentException("empty prompt");
        if (ids.length >= context) {
            throw new IllegalArgumentException("prompt has " + ids.length + " tokens; the model's context is " + context + " tokens");
        }
        int vocab = model.config().vocabSize();
        for (int id : ids) if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
        // a constraint that does not compile is this request's error (compiled once, cached for its samples and other rows)
        if (p.constraint() != null) ConstraintState.compile(model.tokenizer(), vocab, p.constraint());
    }

    public Model model() { return model; }

    public Tokenizer tokenizer() { return model.tokenizer(); }

    public EngineOptions options() { return options; }

    /** "cpu" or "cuda:N". */
    public String backendName() { return backend.name(); }

    public Backend backend() { return backend; }

    @Override
    public void close() {
        if (prefixCache != null) prefixCache.close();
        backend.close();
        model.close();
    }
}
