package io.hydragen.cli;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.hydragen.generate.TokenLogprob;
import io.hydragen.generate.TopLogprob;

import java.util.ArrayList;
import java.util.List;

/**
 * A log-probability entry as output lines write it: {@code {"id", "token", "logprob", "top": [{"id", "token", "logprob"}]}}.
 */
@JsonPropertyOrder({"id", "token", "logprob", "top"})
record LogprobJson(int id, String token, double logprob, List<Top> top) {
    @JsonPropertyOrder({"id", "token", "logprob"})
    record Top(int id, String token, double logprob) {}

    /** The entries of a completion or prompt (a null entry stays null: the prompt's first token); null when none. */
    static List<LogprobJson> of(List<TokenLogprob> entries) {
        if (entries == null) return null;
        List<LogprobJson> out = new ArrayList<>(entries.size());
        for (TokenLogprob e : entries) {
            if (e == null) { out.add(null); continue; }
            List<Top> top = new ArrayList<>(e.top().size());
            for (TopLogprob t : e.top()) top.add(new Top(t.id(), t.token(), t.logprob()));
            out.add(new LogprobJson(e.id(), e.token(), e.logprob(), top));
        }
        return out;
    }
}
