package io.hydragen.backend;

import io.hydragen.sampling.RawLogprobs;
import io.hydragen.sampling.RowSampling;
import io.hydragen.sampling.Sampler;

import java.util.function.IntConsumer;

/**
 * What one forward pass gives back for its logit rows when the loop asks the backend to pick the tokens
 * ({@link Backend#forwardSample}): for a row with sampling settings, its next token id, or a negative code when the
 * row's logits were not finite (the row ends with an error, its batch mates go on), and its log-probabilities where
 * its settings ask for them; for a row without settings (one whose logits the host needs: prompt log-probabilities),
 * its logits and {@link #ON_HOST}.
 *
 * @param ids      per logit row: a token id, {@link #NAN}, {@link #POSITIVE_INFINITY}, {@link #NEGATIVE_INFINITY},
 *                 {@link #NOTHING_ALLOWED} or {@link #ON_HOST}
 * @param logits   per logit row: the row's logits where {@code ids} is {@link #ON_HOST}, else null
 * @param logprobs per logit row: the picked token's raw log-probabilities where its settings ask for them
 *                 ({@link RowSampling#logprobs()}) and a token was picked, else null
 */
public record NextTokens(int[] ids, float[][] logits, RawLogprobs[] logprobs) {
    /** A logit was NaN. */
    public static final int NAN = -1;
    /** No logit was NaN, one was +∞. */
    public static final int POSITIVE_INFINITY = -2;
    /** No logit was NaN or +∞, one was −∞. */
    public static final int NEGATIVE_INFINITY = -3;
    /** Not sampled: the row's logits are in {@code logits}. */
    public static final int ON_HOST = -4;
    /** The row's mask allowed no token ({@link Sampler#NOTHING_ALLOWED}). */
    public static final int NOTHING_ALLOWED = Sampler.NOTHING_ALLOWED;

    /** Without log-probabilities. */
    public NextTokens(int[] ids, float[][] logits) { this(ids, logits, new RawLogprobs[ids.length]); }

    /** Runs a body for rows 0..n-1, in any order and on any threads (each row's pick depends only on that row). */
    public interface RowLoop {
        void forEach(int n, IntConsumer body);
    }

    /** The host's way, one row after another: see {@link #onHost(float[][], RowSampling[], RowLoop)}. */
    public static NextTokens onHost(float[][] logits, RowSampling[] sampling) {
        return onHost(logits, sampling, (n, body) -> { for (int i = 0; i < n; i++) body.accept(i); });
    }

    /**
     * The host's way: rows with settings are picked by {@link #pick}, rows with null settings keep their logits. The CPU
     * backend's way, and the rule sampling.cu mirrors on the device.
     */
    public static NextTokens onHost(float[][] logits, RowSampling[] sampling, RowLoop rows) {
        int k = logits.length;
        if (sampling.length != k) throw new IllegalArgumentException(sampling.length + " sampling rows for " + k + " logit rows");
        int[] ids = new int[k];
        float[][] kept = new float[k][];
        RawLogprobs[] lp = new RawLogprobs[k];
        rows.forEach(k, i -> {
            if (sampling[i] == null) {
                ids[i] = ON_HOST;
                kept[i] = logits[i];
                return;
            }
            ids[i] = pick(logits[i], sampling[i]);
            if (ids[i] >= 0 && sampling[i].wantsLogprobs()) lp[i] = RawLogprobs.of(logits[i], ids[i], sampling[i].logprobs());
        });
        return new NextTokens(ids, kept, lp);
    }

    /**
     * One row's pick from its raw logits: a non-finite code when a logit is not finite (checked before any mask), else
     * {@link Sampler#sample} (under the row's mask: {@link #NOTHING_ALLOWED} when it allows nothing).
     */
    public static int pick(float[] logits, RowSampling s) {
        int bad = nonFinite(logits);
        return bad != 0 ? bad : Sampler.sample(logits, s);
    }

    /** {@link #NAN}, {@link #POSITIVE_INFINITY} or {@link #NEGATIVE_INFINITY} by that precedence, or 0 when all are finite. */
    public static int nonFinite(float[] logits) {
        boolean pos = false, neg = false;
        for (float v : logits) {
            if (Float.isFinite(v)) continue;
            if (Float.isNaN(v)) return NAN;
            if (v > 0) pos = true;
            else neg = true;
        }
        return pos ? POSITIVE_INFINITY : neg ? NEGATIVE_INFINITY : 0;
    }

    /** "NaN", "Infinity" or "-Infinity" for a non-finite code. */
    public static String describe(int code) {
        return switch (code) {
            case NAN -> "NaN";
            case POSITIVE_INFINITY -> "Infinity";
            case NEGATIVE_INFINITY -> "-Infinity";
            default -> throw new IllegalArgumentException("not a non-finite code: " + code);
        };
    }
}
