package io.hydragen.backend.cpu;

import java.util.Locale;

/**
 * Which fp32 operands of the bf16 products are carried as two bf16 parts, a = hi + lo with hi = bf16(a) and
 * lo = bf16(a − hi), so that a·w ≈ hi·w + lo·w (about 16 significant bits of a instead of 8; the products go into the
 * same fp32 accumulators): the activations entering a weight product, the queries of Q·Kᵀ and the probabilities of
 * P·V. The weights and the bf16 KV cache are stored in bf16 and stay so (that is the memory saving); the split costs
 * two bf16 products where one was.
 *
 * <p>The default, {@code auto} ({@link #forDtypes}), splits the activations exactly where a row stays independent of
 * its batch mates: bf16 weights with an fp32 KV cache. There bf16's logit error on the reference checkpoints falls to
 * the weights' own storage (every greedy id of tiny-llama-bpe equal to transformers' fp32 ones: issue #12's margin
 * 0.05). With a bf16 KV cache it splits nothing: the last-bit differences of fp32 attention between Hydragen splits (a
 * row's keys cut into other blocks beside other batch mates) are then no longer absorbed by the activations' bf16
 * rounding, and the KV cache's rounding of the keys and values written later now and then turns one into a whole bf16
 * step: a row's scores moved by 2.5e-5 between the CLI's batch and Spark's partitions (ScoreSparkTest asks for 1e-5).
 * With an fp32 KV cache nothing is rounded after attention, so those differences stay at fp32's last bits, as in an
 * fp32 run. The split costs 0.56–0.67× the rounded products' rate on AMX and about 0.5× on {@code vdpbf16ps} alone
 * (docs/benchmarks.md, "BF16 error budget").
 *
 * <p>{@code -Dhydragen.bf16.split=auto|all|none|LIST} (LIST: any of {@code activations}, {@code q}, {@code p}, comma
 * separated) overrides it for the process; the backend reads it when it is built ({@link #configured}), once for every
 * row of every batch.
 */
public record Bf16Split(boolean activations, boolean attentionOutput, boolean queries, boolean probabilities) {
    public static final String PROPERTY = "hydragen.bf16.split";
    public static final Bf16Split ALL = new Bf16Split(true, true, true, true);
    public static final Bf16Split NONE = new Bf16Split(false, false, false, false);
    /** {@code activations,q,p}: auto's choice for bf16 weights. */
    public static final Bf16Split ALL_BUT_ATTENTION_OUTPUT = new Bf16Split(true, false, true, true);

    /**
     * {@code auto}'s choice: with bf16 weights every operand but the attention output (which the o projection rounds,
     * absorbing the last-bit traces that batch mates leave in fp32 attention); with fp32 weights none.
     */
    public static Bf16Split forDtypes(CpuDtype weights, CpuDtype kvCache) {
        return weights == CpuDtype.BF16 ? ALL_BUT_ATTENTION_OUTPUT : NONE;
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
