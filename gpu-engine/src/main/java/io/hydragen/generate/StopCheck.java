package io.hydragen.generate;

import io.hydragen.tokenizer.Tokenizer;

/**
 * Decides after each new token whether a sample is finished, as vLLM does: EOS (unless ignore_eos), a stop token
 * id, a stop string (cut from the text), max_new_tokens, or the model's context being full.
 */
final class StopCheck {
    private final Tokenizer tokenizer;
    private final int[] eos;
    private final int contextLength;

    StopCheck(Tokenizer tokenizer, int contextLength) {
        this.tokenizer = tokenizer;
        this.eos = tokenizer.eosTokenIds();
        this.contextLength = contextLength;
    }

    void after(Sequence s) {
        int t = s.last();
        SamplingParams p = s.params;
        if (!p.ignoreEos()) for (int e : eos) if (e == t) { s.finish = FinishReason.STOP; return; }
        if (p.stopTokenIds().contains(t)) { s.finish = FinishReason.STOP; return; }
        if (!p.stop().isEmpty()) {
            String text = tokenizer.decode(s.tokens());
            int first = -1;
            for (String stop : p.stop()) {
                int at = stop.isEmpty() ? -1 : text.indexOf(stop);
                if (at >= 0 && (first < 0 || at < first)) first = at;
            }
            if (first >= 0) { s.finish = FinishReason.STOP; s.text = text.substring(0, first); return; }
        }
        if (s.count >= p.maxNewTokens() || s.prompt.length + s.count >= contextLength) s.finish = FinishReason.LENGTH;
    }
}
