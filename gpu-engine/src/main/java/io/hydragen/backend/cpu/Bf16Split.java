package io.hydragen.backend.cpu;

import java.util.Locale;

/**
 * Which fp32 operands of the bf16 products are carried as two bf16 parts, a = hi + lo with hi = bf16(a) and
 * lo = bf16(a − hi), so that a·w ≈ hi·w + lo·w (about 16 significant bits of a instead of 8; the products go into the
 * same fp32 accumulators): the activations entering a weight product, the queries of Q·Kᵀ and the probabilities of
 * P·V. The weights and the bf16 KV cache are stored in bf16 and stay so (that is the memory saving); the split costs
 * two bf16 products where one was.
 *
 * <p>Set by {@code -Dhydragen.bf16.split=all|none|LIST} (LIST: any of {@code activations}, {@code q}, {@code p},
 * comma separated), read when a backend is built, once for every row of every batch. The default is {@code none}:
 * with the activations split, the last-bit differences of fp32 attention between Hydragen splits (a row's keys cut
 * into other blocks beside other batch mates) are no longer absorbed by the activations' bf16 rounding, and a row's
 * scores moved by 2.5e-5 between the CLI's batch and Spark's partitions (ScoreSparkTest asks for 1e-5; fp32 and the
 * rounded kernel pass it). {@code all} brings bf16's logit error on the reference checkpoints down to the storage's
 * own rounding, at 0.56–0.67× the rounded products' rate on AMX and about 0.5× on {@code vdpbf16ps} alone
 * (docs/benchmarks.md, "BF16 error budget").
 */
public record Bf16Split(boolean activations, boolean queries, boolean probabilities) {
    public static final String PROPERTY = "hydragen.bf16.split";
    public static final Bf16Split ALL = new Bf16Split(true, true, true);
    public static final Bf16Split NONE = new Bf16Split(false, false, false);

    /** What a backend built now uses: {@link #PROPERTY}'s setting, none when unset. */
    public static Bf16Split current() { return parse(System.getProperty(PROPERTY, "none")); }

    /** @throws IllegalArgumentException for a word other than all, none, activations, q, p */
    public static Bf16Split parse(String setting) {
        boolean act = false, q = false, p = false;
        for (String word : setting.toLowerCase(Locale.ROOT).split(",")) {
            switch (word.strip()) {
                case "all" -> { act = true; q = true; p = true; }
                case "none", "" -> { }
                case "activations" -> act = true;
                case "q" -> q = true;
                case "p" -> p = true;
                default -> throw new IllegalArgumentException("-D" + PROPERTY + ": unknown operand '" + word + "' (all, none, or any of activations, q, p)");
            }
        }
        return new Bf16Split(act, q, p);
    }

    @Override
    public String toString() {
        if (equals(ALL)) return "all";
        if (equals(NONE)) return "none";
        StringBuilder b = new StringBuilder();
        if (activations) b.append("activations");
        if (queries) b.append(b.length() > 0 ? "," : "").append("q");
        if (probabilities) b.append(b.length() > 0 ? "," : "").append("p");
        return b.toString();
    }
}
