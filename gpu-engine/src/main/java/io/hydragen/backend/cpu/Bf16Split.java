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
 * comma separated), read when a backend is built; the default is {@code all}: on the reference checkpoints it brings
 * bf16's logit error from about 0.2 to the weights' own rounding (docs/benchmarks.md, "BF16 error budget").
 */
record Bf16Split(boolean activations, boolean queries, boolean probabilities) {
    static final String PROPERTY = "hydragen.bf16.split";
    static final Bf16Split ALL = new Bf16Split(true, true, true);
    static final Bf16Split NONE = new Bf16Split(false, false, false);

    /** The setting of {@link #PROPERTY} now. */
    static Bf16Split fromProperty() { return parse(System.getProperty(PROPERTY, "all")); }

    /** @throws IllegalArgumentException for a word other than all, none, activations, q, p */
    static Bf16Split parse(String setting) {
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
