package io.hydragen.generate;

import java.util.Locale;

/** How an {@link Engine} batches a request list or stream. */
public enum Scheduler {
    /** Plan a batch, decode until its last sequence finishes, then the next batch. */
    STATIC,
    /**
     * Keep the running batch full: as sequences finish their KV is freed and waiting requests are admitted, joining
     * live shared segments when their prompts extend them ({@link ContinuousScheduler}).
     */
    CONTINUOUS;

    /**
     * The scheduler of every entry point that is not told one (the engine's {@link BatchOptions}, {@code bin/hydragen
     * generate --scheduler}, the batch job and Spark's {@code scheduler} option): the one definition of the default.
     */
    public static final Scheduler DEFAULT = STATIC;

    public String cliName() { return name().toLowerCase(Locale.ROOT); }

    public static Scheduler parse(String s) {
        for (Scheduler k : values()) if (k.cliName().equals(s.strip().toLowerCase(Locale.ROOT))) return k;
        throw new IllegalArgumentException("unknown scheduler '" + s + "' (static, continuous)");
    }
}
