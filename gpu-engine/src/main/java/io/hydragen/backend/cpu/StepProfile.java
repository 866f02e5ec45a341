package io.hydragen.backend.cpu;

import java.util.EnumMap;
import java.util.Map;

/**
 * Wall time per phase of the CPU forward pass, summed over calls, kept apart for decode passes (every row wants
 * logits) and prefill passes. Off by default: then {@link #start()} returns 0 without reading the clock and
 * {@link #stop} returns at once, so the timers cost one field read per phase.
 *
 * <p>Attention runs its tasks on all threads at once, so its wall time is one phase; {@link #attentionTaskNanos}
 * splits the tasks' thread time by block kind (a block several rows share — a Hydragen shared prefix — or one
 * row's own keys), which the report uses to divide the attention wall time.
 */
public final class StepProfile {
    /** The phases, in forward-pass order; PICK: the token picks of {@code forwardSample}, from the off-heap logits. */
    public enum Phase {
        EMBED, NORM, QKV_PROJ, ROPE, KV_WRITE, ATTENTION, ATTENTION_MERGE, O_PROJ, RESIDUAL, GATE_UP_PROJ, SWIGLU, DOWN_PROJ,
        LM_HEAD, LOGITS_COPY, PICK
    }

    /** Whose time: a pass in which every row wants logits (decode), or any other (prefill). */
    public enum Pass { DECODE, PREFILL }

    /** Never enabled: for callers outside a backend (tests, the attention benchmark). */
    static final StepProfile OFF = new StepProfile();

    private volatile boolean on;
    private final long[][] nanos = new long[Pass.values().length][Phase.values().length];
    private final long[][] attentionTaskNanos = new long[Pass.values().length][2];
    private final long[] forwardNanos = new long[Pass.values().length];
    private final long[] calls = new long[Pass.values().length];
    private Pass pass = Pass.DECODE;

    /** Turning the timers on starts a fresh count, so each timed run reports its own steps. */
    synchronized void enable(boolean enabled) {
        if (enabled) {
            for (long[] a : nanos) java.util.Arrays.fill(a, 0);
            for (long[] a : attentionTaskNanos) java.util.Arrays.fill(a, 0);
            java.util.Arrays.fill(forwardNanos, 0);
            java.util.Arrays.fill(calls, 0);
        }
        on = enabled;
    }

    boolean on() { return on; }

    void begin(Pass p) { pass = p; }

    long start() { return on ? System.nanoTime() : 0; }

    void stop(Phase phase, long t0) {
        if (on) nanos[pass.ordinal()][phase.ordinal()] += System.nanoTime() - t0;
    }

    /** Thread time of one attention task; called from the worker threads. */
    void attentionTask(boolean sharedBlock, long taskNanos) {
        synchronized (attentionTaskNanos) { attentionTaskNanos[pass.ordinal()][sharedBlock ? 0 : 1] += taskNanos; }
    }

    void forwardDone(long t0) {
        if (!on) return;
        forwardNanos[pass.ordinal()] += System.nanoTime() - t0;
        calls[pass.ordinal()]++;
    }

    /** What was measured for one kind of pass. */
    public record Summary(long calls, long forwardNanos, Map<Phase, Long> phaseNanos, long sharedAttentionTaskNanos,
                          long ownAttentionTaskNanos) {
        /** Wall time of the attention tasks attributed to shared blocks, by their share of the tasks' thread time. */
        public long sharedAttentionNanos() {
            long all = sharedAttentionTaskNanos + ownAttentionTaskNanos;
            return all == 0 ? 0 : Math.round(phaseNanos.get(Phase.ATTENTION) * (double) sharedAttentionTaskNanos / all);
        }

        public long ownAttentionNanos() { return phaseNanos.get(Phase.ATTENTION) - sharedAttentionNanos(); }
    }

    public synchronized Summary summary(Pass p) {
        Map<Phase, Long> m = new EnumMap<>(Phase.class);
        for (Phase ph : Phase.values()) m.put(ph, nanos[p.ordinal()][ph.ordinal()]);
        synchronized (attentionTaskNanos) {
            return new Summary(calls[p.ordinal()], forwardNanos[p.ordinal()], m, attentionTaskNanos[p.ordinal()][0], attentionTaskNanos[p.ordinal()][1]);
        }
    }
}
