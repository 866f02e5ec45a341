package io.hydragen.backend.cpu;

import java.util.Locale;

/**
 * Which fp32 operands of the bf16 products are carried as two bf16 parts, a = hi + lo with hi = bf16(a) and
 * lo = bf16(a − hi), so that a·w ≈ hi·w + lo·w (about 16 significant bits of a instead of 8; the products go into the
 * same fp32 accumulators): the activations entering the weight products ({@code activations}: q|k|v, gate|up, down and
 * the LM head), the attention output entering the o projection ({@code o}), the queries of Q·Kᵀ ({@code q}) and the
 * probabilities of P·V ({@code p}). The weights and the bf16 KV cache are stored in bf16 and stay so (that is the
 * memory saving); a split product costs two bf16 products where one was.
 *
 * <p>The default, {@code auto} ({@link #forDtypes}), splits the activations (not the attention output) where the
 * weights are bf16 and the KV cache fp32, the setting a user picks for accuracy, and nothing over a bf16 KV cache, the
 * setting picked for speed and memory: there the cache's own rounding sets the floor, and splitting Q and P as well
 * lowered tiny-llama-bpe's margin only from 0.078 to 0.065 for 0.82× decode at 4K and 16K, the activations alone
 * gained nothing on the margin (docs/benchmarks.md, "BF16 error budget"). The attention output is where batch mates leave their trace: a row's keys are
 * cut into other Hydragen blocks beside other batch mates, so its fp32 attention output differs from one batch to
 * another in the last bits (5e-8–1.3e-7, Bf16KvAttentionTest). Rounded to bf16 before the o projection, those
 * differences are almost always absorbed and everything downstream is the same bits; split, they travel on through
 * every later product and KV write: with {@code o} split, a candidate's score moved by 2.2e-5 between the CLI's batch
 * and Spark's partitions (ScoreSparkTest asks for 1e-5; an fp32 run moves 4e-6), with it rounded by 0, with a bf16 or
 * an fp32 KV cache alike. Rounding that one operand keeps most of the split's gain: on tiny-llama-bpe with an fp32 KV
 * cache every greedy id equals transformers' fp32 ones above margin 0.004 (issue #12 asks for 0.05), logit error 0.027
 * against 0.114 with every activation rounded (docs/benchmarks.md, "BF16 error budget"). With fp32 weights
 * {@code auto} splits nothing (no bf16 o projection rounds the traces there; not measured with Q and P split). The
 * split costs 0.56–0.67× the rounded products' rate on AMX and about 0.5× on {@code vdpbf16ps} alone.
 *
 * <p>{@code -Dhydragen.bf16.split=auto|all|none|LIST} (LIST: any of {@code activations}, {@code o}, {@code q},
 * {@code p}, comma separated) overrides it for the process; the backend reads it when it is built ({@link #configured}),
 * once for every row of every batch.
 */
public record Bf16Split(boolean activations, boolean attentionOutput, boolean queries, boolean probabilities) {
    public static final String PROPERTY = "hydragen.bf16.split";
    public static final Bf16Split ALL = new Bf16Split(true, true, true, true);
    public static final Bf16Split NONE = new Bf16Split(false, false, false, false);
    /** {@code activations}: auto's choice for bf16 weights over an fp32 KV cache. */
    public static final Bf16Split ACTIVATIONS = new Bf16Split(true, false, false, false);

    /**
     * {@code auto}'s choice: the activations for bf16 weights over an fp32 KV cache (not the attention output, which
     * the o projection rounds, absorbing the last-bit traces that batch mates leave in fp32 attention); nothing for a
     * bf16 KV cache (speed first: see above) or fp32 weights.
     */
    public static Bf16Split forDtypes(CpuDtype weights, CpuDtype kvCache) {
        return weights == CpuDtype.BF16 && kvCache == CpuDtype.FP32 ? ACTIVATIONS : NONE;
    }

    /** What a backend with these dtypes uses: {@link #PROPERTY}'s setting, {@code auto} when unset. */
    public static Bf16Split configured(CpuDtype weights, CpuDtype kvCache) {
        return resolve(System.getProperty(PROPERTY, "auto"), weights, kvCache);
    }

    /**
     * @param setting auto (or blank), all, none or a LIST
     * @throws IllegalArgumentException for a word other than auto, all, none, activations, o, q, p
     */
    public static Bf16Split resolve(String setting, CpuDtype weights, CpuDtype kvCache) {
        String s = setting.strip().toLowerCase(Locale.ROOT);
        return s.equals("auto") || s.isEmpty() ? forDtypes(weights, kvCache) : parse(s);
    }

    /** @throws IllegalArgumentException for a word other than all, none, activations, o, q, p (auto needs the dtypes: {@link #resolve}) */
    public static Bf16Split parse(String setting) {
        boolean act = false, o = false, q = false, p = false;
        for (String word : setting.toLowerCase(Locale.ROOT).split(",")) {
            switch (word.strip()) {
                case "all" -> { act = true; o = true; q = true; p = true; }
                case "none", "" -> { }
                case "activations" -> act = true;
                case "o" -> o = true;
                case "q" -> q = true;
                case "p" -> p = true;
                default -> throw new IllegalArgumentException("-D" + PROPERTY + ": unknown operand '" + word + "' (auto, all, none, or any of activations, o, q, p)");
            }
        }
        return new Bf16Split(act, o, q, p);
    }

    @Override
    public String toString() {
        if (equals(ALL)) return "all";
        if (equals(NONE)) return "none";
        StringBuilder b = new StringBuilder();
        if (activations) b.append("activations");
        if (attentionOutput) b.append(b.length() > 0 ? "," : "").append("o");
        if (queries) b.append(b.length() > 0 ? "," : "").append("q");
        if (probabilities) b.append(b.length() > 0 ? "," : "").append("p");
        return b.toString();
    }
}
