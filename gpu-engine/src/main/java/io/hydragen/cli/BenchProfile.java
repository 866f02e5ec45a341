package io.hydragen.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.hydragen.backend.cpu.StepProfile;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code bench --profile}: where one decode step's time goes on the CPU backend, per phase, in milliseconds per
 * step. The phases come from {@link StepProfile}'s timers inside the forward pass (passes in which every row wants
 * logits: the decode steps, and a one-token suffix prefill, which has the same shape); "outside forward" is the
 * engine's decode time less the forward passes: sampling, block planning, bookkeeping.
 *
 * @param forwardPasses passes measured
 * @param stepMs the engine's decode time per decode step
 */
@JsonPropertyOrder({"forward_passes", "step_ms", "phases"})
record BenchProfile(@JsonProperty("forward_passes") long forwardPasses, @JsonProperty("step_ms") double stepMs,
                    @JsonProperty("phases") List<Row> phases) {

    /** One phase: milliseconds per pass and share of the step. */
    @JsonPropertyOrder({"phase", "ms", "share"})
    record Row(@JsonProperty("phase") String phase, @JsonProperty("ms") double ms, @JsonProperty("share") double share) {}

    static BenchProfile of(StepProfile.Summary s, long decodeNanos, int decodeSteps) {
        long passes = Math.max(1, s.calls());
        double step = decodeSteps == 0 ? 0 : decodeNanos / 1e6 / decodeSteps;
        List<Row> rows = new ArrayList<>();
        double timed = 0;
        for (StepProfile.Phase p : StepProfile.Phase.values()) {
            if (p == StepProfile.Phase.ATTENTION) {
                timed += add(rows, "attention: shared-prefix blocks", s.sharedAttentionNanos(), passes, step);
                timed += add(rows, "attention: per-row blocks", s.ownAttentionNanos(), passes, step);
            } else {
                timed += add(rows, p.name().toLowerCase(Locale.ROOT).replace('_', ' '), s.phaseNanos().get(p), passes, step);
            }
        }
        double forward = s.forwardNanos() / 1e6 / passes;
        add(rows, "forward, untimed (loop, checks)", Math.max(0, forward - timed) * 1e6, 1, step);
        add(rows, "outside forward (sampling, planning)", Math.max(0, step - forward) * 1e6, 1, step);
        return new BenchProfile(s.calls(), step, rows);
    }

    private static double add(List<Row> rows, String name, double nanos, long passes, double stepMs) {
        double ms = nanos / 1e6 / passes;
        rows.add(new Row(name, ms, stepMs == 0 ? 0 : ms / stepMs));
        return ms;
    }

    void print(String mode, PrintStream out) {
        out.printf(Locale.ROOT, "%s: decode step %.2f ms (%d forward passes profiled)%n", mode, stepMs, forwardPasses);
        for (Row r : phases) out.printf(Locale.ROOT, "  %-38s %9.3f ms %6.1f%%%n", r.phase(), r.ms(), 100 * r.share());
    }
}
