package io.hydragen.generate;

import io.hydragen.backend.AllocationException;
import io.hydragen.plan.PrefixPlan;
import io.hydragen.plan.Segment;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * How much KV cache a batch reserves, with no backend involved: the generation slots a sequence can actually use,
 * each planned segment's capacity, and the tokens (times the backend's bytes per token) a plan takes. All sums are
 * in {@code long}, so {@code max_new_tokens = 2^31-1} never overflows.
 */
final class KvSizing {
    private KvSizing() {}

    /**
     * Generation slots to reserve: {@code min(maxNewTokens, context - promptLength)}, never negative. Generation
     * stops at the model's context (finish reason {@code length}), so more than that would never be written.
     */
    static int reservedNewTokens(int promptLength, int maxNewTokens, int context) {
        long room = (long) context - promptLength;
        return (int) Math.max(0, Math.min(maxNewTokens, room));
    }

    /**
     * Capacity of every segment of {@code plan}: its prompt tokens, plus for a sequence's leaf the generation slots
     * {@code reserved[s]} of its sequence (at least 1 slot in all).
     */
    static Map<Segment, Integer> capacities(PrefixPlan plan, int[] reserved) {
        Map<Segment, Integer> caps = new IdentityHashMap<>();
        for (Segment seg : plan.segments()) caps.put(seg, Math.max(1, seg.length()));
        for (int s = 0; s < plan.sequenceCount(); s++) {
            Segment leaf = plan.leaf(s);
            long cap = Math.max(1L, (long) leaf.length() + reserved[s]);
            if (cap > Integer.MAX_VALUE) throw new IllegalArgumentException("KV segment of " + cap + " tokens");
            caps.merge(leaf, (int) cap, Math::max);
        }
        return caps;
    }

    /**
     * Slots a private copy of the whole context takes with per-sequence attention (the baseline frees the shared
     * segments only after every sequence got its copy).
     */
    static int privateCapacity(int promptLength, int reserved) {
        return (int) Math.max(1L, Math.min(Integer.MAX_VALUE, (long) promptLength + reserved));
    }

    /** KV slots a batch planned as {@code plan} holds at its peak: every segment once, plus private copies per-sequence. */
    static long plannedTokens(PrefixPlan plan, int[] promptLengths, int[] reserved, boolean perSequence) {
        long n = 0;
        for (int cap : capacities(plan, reserved).values()) n += cap;
        if (perSequence) for (int s = 0; s < plan.sequenceCount(); s++) n += privateCapacity(promptLengths[s], reserved[s]);
        return n;
    }

    /** Whole tokens of KV that fit {@code budgetBytes}; {@link Long#MAX_VALUE} when there is no budget (≤ 0). */
    static long budgetTokens(long budgetBytes, long bytesPerToken) {
        if (budgetBytes <= 0) return Long.MAX_VALUE;
        return budgetBytes / Math.max(1, bytesPerToken);
    }

    /** Bytes of {@code tokens} slots, saturating instead of overflowing. */
    static long bytes(long tokens, long bytesPerToken) {
        return tokens > Long.MAX_VALUE / Math.max(1, bytesPerToken) ? Long.MAX_VALUE : tokens * bytesPerToken;
    }

    /** The error a row that cannot fit even alone gets. */
    static String tooLargeMessage(long neededTokens, int promptTokens, int newTokens, long bytesPerToken, long budgetBytes) {
        return "needs " + AllocationException.formatBytes(bytes(neededTokens, bytesPerToken)) + " of KV cache for " + promptTokens
                + " prompt + " + newTokens + " new tokens; the KV budget is " + AllocationException.formatBytes(budgetBytes);
    }
}
