package io.hydragen.spark.partition;

import java.util.Objects;

/**
 * Counts, within one task, a row's ordinal among adjacent rows of the same unit with the same prompt: the duplicate
 * ordinal of the seed identity when routing sent everything to one task sorted by (group, prompt, row hash), so no
 * window computed it. Rows must be passed in partition order.
 */
public final class DuplicateCounter {
    /** Marker in the duplicate-ordinal column: count it in the task. */
    public static final long COUNT_IN_TASK = -1L;

    private boolean any;
    private long lastUnit;
    private String lastPrompt;
    private long ordinal;

    /** @param stored the routed row's duplicate ordinal, or {@link #COUNT_IN_TASK} */
    public long ordinal(long stored, long unit, String prompt) {
        if (stored != COUNT_IN_TASK) return stored;
        if (any && unit == lastUnit && Objects.equals(prompt, lastPrompt)) {
            ordinal++;
        } else {
            ordinal = 0;
        }
        any = true;
        lastUnit = unit;
        lastPrompt = prompt;
        return ordinal;
    }
}
