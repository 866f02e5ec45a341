package io.hydragen.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Warnings about a {@code bench} measurement that should not be trusted. */
final class BenchWarnings {
    /** A decode phase shorter than this is dominated by timer resolution, JIT and scheduling noise. */
    static final double MIN_DECODE_SECONDS = 0.5;
    /** Fewer decode steps than this measure start-up more than steady state. */
    static final int MIN_DECODE_STEPS = 8;

    private BenchWarnings() {}

    static List<String> of(BenchReport report) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, BenchReport.ModeResult> e : report.results().entrySet()) {
            BenchReport.ModeResult m = e.getValue();
            if (m.decodeS() < MIN_DECODE_SECONDS || m.decodeSteps() < MIN_DECODE_STEPS) {
                out.add(String.format(Locale.ROOT, "hydragen: warning: the decode phase of %s lasted %.3f s over %d steps, "
                        + "too short to trust (want at least %.1f s and %d steps): raise --new-tokens or --batch",
                        e.getKey(), m.decodeS(), m.decodeSteps(), MIN_DECODE_SECONDS, MIN_DECODE_STEPS));
            }
        }
        return out;
    }
}
