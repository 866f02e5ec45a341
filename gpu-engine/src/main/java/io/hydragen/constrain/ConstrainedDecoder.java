package io.hydragen.constrain;

import java.util.Arrays;

/**
 * The per-step loop of constrained decoding, as the sampler runs it, over any source of logits: a reference for
 * the engine's wiring and the driver of the tests (random logits).
 * <pre>
 * state = index.initialState()
 * each step:  if index.complete(state): finish "stop"            (nothing can follow)
 *             logits = model(...);  logprobs from the raw logits  (reported unconstrained)
 *             LogitMask.apply(logits, index.allowedMask(state), index.accepting(state), eosIds)
 *             token = sample(logits)
 *             if token is EOS: finish "stop"                      (only possible where accepting)
 *             state = index.next(state, token)                    (never -1 for a sampled token)
 * after max_new_tokens steps: finish "length" (the text is a valid prefix)
 * </pre>
 */
public final class ConstrainedDecoder {
    private ConstrainedDecoder() {}

    /** Logits of one step, given the tokens generated so far (a fresh array the loop may modify). */
    public interface Logits {
        float[] at(int step, int[] generated);
    }

    /** Picks a token from masked logits (argmax, or a sampler's draw). */
    public interface Picker {
        int pick(float[] maskedLogits, int step);
    }

    /**
     * @param tokens       generated tokens, EOS not included
     * @param finishReason {@code stop} (complete, or EOS where complete) or {@code length}
     * @param state        the index state after the tokens
     */
    public record Result(int[] tokens, String finishReason, int state) {
        public boolean stopped() { return "stop".equals(finishReason); }
    }

    public static Result run(TokenIndex index, int[] eosIds, int maxNewTokens, Logits logits, Picker picker) {
        int state = index.initialState();
        int[] out = new int[Math.max(0, maxNewTokens)];
        int n = 0;
        for (int step = 0; step < maxNewTokens; step++) {
            if (index.complete(state)) return new Result(Arrays.copyOf(out, n), "stop", state);
            if (index.deadEnd(state)) {
                throw new IllegalStateException("no token of the vocabulary continues the constrained text at state " + state);
            }
            float[] l = logits.at(step, Arrays.copyOf(out, n));
            LogitMask.apply(l, index.allowedMask(state), index.accepting(state), eosIds);
            int token = picker.pick(l, step);
            if (isEos(token, eosIds)) {
                if (!index.accepting(state)) throw new IllegalStateException("EOS picked where the text is incomplete");
                return new Result(Arrays.copyOf(out, n), "stop", state);
            }
            int next = index.next(state, token);
            if (next < 0) throw new IllegalStateException("token " + token + " picked outside the mask at state " + state);
            out[n++] = token;
            state = next;
        }
        return new Result(Arrays.copyOf(out, n), index.complete(state) ? "stop" : "length", state);
    }

    static boolean isEos(int token, int[] eosIds) {
        if (eosIds == null) return false;
        for (int e : eosIds) if (e == token) return true;
        return false;
    }
}
