package io.hydragen.sampling;

/**
 * The tokens a row may pick at one step (structured output): bit {@code id % 32} of word {@code id / 32} set for an
 * allowed id, ids past the last word disallowed; the layout sampling.cu reads from a device pool of bitmaps. A masked
 * token's logit counts as −∞ before temperature, top-k and top-p, on the host ({@link Sampler}) and on the device
 * alike; log-probabilities ignore the mask (they are of the raw logits).
 *
 * @param key   what the bitmap is a function of, so a device can keep it across steps and rows and upload it once
 * @param words the bitmap; shared, do not modify
 */
public record TokenMask(Key key, int[] words) {
    /**
     * The identity of a bitmap: its constraint (compared by identity: one compiled index per constraint and
     * vocabulary), the automaton state, and whether end-of-sequence ids were added to the state's own set.
     */
    public record Key(Object constraint, int state, boolean withEos) {}

    /** Whether token {@code id} is allowed. */
    public boolean allows(int id) {
        return id >= 0 && (id >>> 5) < words.length && (words[id >>> 5] & (1 << (id & 31))) != 0;
    }
}
