package io.hydragen.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The log-probability of one token (generated or in the prompt) under the model's full distribution at its position:
 * log-softmax of the raw logits, before temperature, top-k, top-p and any structured-output mask (vLLM's semantics).
 *
 * @param id the token id
 * @param token its text (its decoding alone), or null before the engine fills it in
 * @param logprob its log-probability
 * @param rank 1 + how many tokens had a larger logit (1: the argmax), as vLLM's {@code rank}
 * @param top the k most likely tokens at the position, most likely first (ties: lower id first); empty when k = 0
 */
public record TokenLogprob(int id, String token, double logprob, int rank, List<TopLogprob> top) {
    public TokenLogprob {
        top = List.copyOf(top);
    }

    /** The entry of token {@code id} from its log-probabilities as a sampler computed them (token texts unset). */
    static TokenLogprob of(int id, io.hydragen.sampling.RawLogprobs lp) {
        List<TopLogprob> top = new ArrayList<>(lp.topIds().length);
        for (int j = 0; j < lp.topIds().length; j++) top.add(new TopLogprob(lp.topIds()[j], null, lp.topLogprobs()[j]));
        return new TokenLogprob(id, null, lp.logprob(), lp.rank(), top);
    }

    /** Whether the token was the most likely one (greedy decoding would have chosen it, up to ties). */
    public boolean argmax() { return rank == 1; }

    /** This entry with its first {@code k} alternatives only (a row asking for fewer than its segment computed). */
    TokenLogprob limitTop(int k) {
        return top.size() <= k ? this : new TokenLogprob(id, token, logprob, rank, top.subList(0, k));
    }

    /** This entry with the text of its token and alternatives. */
    TokenLogprob withText(IntFunction<String> text) {
        List<TopLogprob> t = new ArrayList<>(top.size());
        for (TopLogprob x : top) t.add(new TopLogprob(x.id(), text.apply(x.id()), x.logprob()));
        return new TokenLogprob(id, text.apply(id), logprob, rank, t);
    }
}
