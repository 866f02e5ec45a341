package io.hydragen.generate;

/**
 * At most {@link #PER_PASS} rows of logits per prefill pass for prompt log-probabilities (a row is vocabulary-sized),
 * so host memory stays bounded however long the prompts. Both schedulers cut their prefill pieces with it.
 * Counted: every slot from a segment's {@link PromptLogitSlots#first()} on (a bound: a segment's last slot may not need
 * its logits). Not counted: the rows that start samples, one per sample, which the batch's row limit bounds as it
 * bounds a decode pass.
 */
final class LogitRowBudget {
    static final int PER_PASS = 256;
    private int left = PER_PASS;

    /**
     * Of {@code take} slots from {@code from} of a segment whose logits are needed from slot {@code first} on, how many
     * fit in this pass; their logit rows are taken from the budget.
     */
    int take(int from, int take, int first) {
        int needed = Math.max(0, from + take - Math.max(from, first));
        if (needed > left) {
            take -= needed - left;
            needed = left;
        }
        left -= needed;
        return take;
    }

    /** Whether no logit row is left: a slot that needs logits must wait for the next pass. */
    boolean spent() { return left == 0; }
}
