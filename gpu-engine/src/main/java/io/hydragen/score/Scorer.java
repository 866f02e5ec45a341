package io.hydragen.score;

import io.hydragen.chat.ChatTemplateException;
import io.hydragen.generate.BatchOptions;
import io.hydragen.generate.Completion;
import io.hydragen.generate.Engine;
import io.hydragen.generate.FinishReason;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.generate.GenerationResult;
import io.hydragen.generate.ProgressListener;
import io.hydragen.generate.SamplingParams;
import io.hydragen.generate.TokenLogprob;

import java.util.ArrayList;
import java.util.List;

/**
 * Scores candidate continuations on top of prompt log-probabilities: each (prompt, candidate) becomes one request
 * whose prompt is prompt + candidate, prefilled only (max_new_tokens 0), with log-probabilities asked for the
 * candidate's positions alone. The engine's prefix trie then makes each prompt a shared segment for its candidates,
 * and a few-shot prefix common to all prompts a shared segment above them: a prompt is never prefilled twice, and no
 * logits are computed for it except at its last position (which predicts each candidate's first token).
 */
public final class Scorer {
    /** Scoring asks for each token's own log-probability and rank; no alternatives. */
    private static final SamplingParams PREFILL_ONLY =
            new SamplingParams(0, 0, 0, 1, 0, List.of(), List.of(), true, 1).withPromptLogprobs(0);

    private final Engine engine;

    public Scorer(Engine engine) { this.engine = engine; }

    /** One pair to prefill: request {@code request}'s candidate {@code candidate}. */
    private record Pair(int request, int candidate, CandidateTokens tokens) {}

    public Scores score(List<ScoreRequest> requests, BatchOptions batching, ProgressListener progress) {
        String[] errors = new String[requests.size()];
        List<Pair> pairs = new ArrayList<>();
        for (int r = 0; r < requests.size(); r++) {
            try {
                ScoreRequest req = requests.get(r);
                List<String> candidates = req.candidates();
                if (candidates == null || candidates.isEmpty()) throw new IllegalArgumentException("no candidates");
                boolean chat = req.messages() != null;
                String context = chat ? render(req) : req.prompt();
                if (context == null || context.isEmpty()) throw new IllegalArgumentException(chat ? "the chat template rendered an empty prompt" : "empty prompt");
                List<Pair> own = new ArrayList<>();
                for (int c = 0; c < candidates.size(); c++) {
                    String cand = candidates.get(c);
                    if (cand == null || cand.isEmpty()) throw new IllegalArgumentException("candidate " + c + " is empty");
                    CandidateTokens t = CandidateTokens.of(engine.tokenizer(), context, cand, !chat);
                    if (t.continuationLength() == 0) throw new IllegalArgumentException("candidate " + c + " has no tokens");
                    own.add(new Pair(r, c, t));
                }
                pairs.addAll(own);
            } catch (IllegalArgumentException | ChatTemplateException e) {
                errors[r] = e.getMessage();
            }
        }
        List<GenerationRequest> prefill = new ArrayList<>(pairs.size());
        int[] from = new int[pairs.size()];
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            prefill.add(GenerationRequest.ofTokens(p.request + "/" + p.candidate, p.tokens.whole(), PREFILL_ONLY));
            from[i] = p.tokens.contextLength();
        }
        GenerationResult result = engine.promptLogprobsFrom(prefill, from, batching, progress);
        List<List<CandidateScore>> scores = new ArrayList<>();
        for (int r = 0; r < requests.size(); r++) scores.add(new ArrayList<>());
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            Completion c = result.completions().get(i);
            if (c.finishReason() == FinishReason.ERROR) {
                if (errors[p.request] == null) errors[p.request] = c.error();
                continue;
            }
            scores.get(p.request).add(score(requests.get(p.request).candidates().get(p.candidate), p.tokens, c.promptLogprobs()));
        }
        List<ScoreResult> out = new ArrayList<>(requests.size());
        for (int r = 0; r < requests.size(); r++) {
            String id = requests.get(r).id();
            out.add(errors[r] != null ? ScoreResult.error(id, errors[r]) : new ScoreResult(id, scores.get(r), best(scores.get(r)), null));
        }
        return new Scores(out, result.stats());
    }

    private String render(ScoreRequest req) {
        return engine.chatTemplate(req.chatTemplate()).render(req.messages(), req.addGenerationPrompt());
    }

    private static CandidateScore score(String candidate, CandidateTokens t, List<TokenLogprob> entries) {
        double sum = 0;
        boolean greedy = true;
        for (int p = t.contextLength(); p < t.whole().length; p++) {
            TokenLogprob e = entries.get(p);
            sum += e.logprob();
            greedy &= e.argmax();
        }
        return new CandidateScore(candidate, sum, t.continuationLength(), greedy, t.separatelyEncoded());
    }

    /** The candidate with the largest log-likelihood, the first of equals. */
    private static String best(List<CandidateScore> scores) {
        CandidateScore best = null;
        for (CandidateScore s : scores) if (best == null || s.logprob() > best.logprob()) best = s;
        return best == null ? null : best.candidate();
    }
}
