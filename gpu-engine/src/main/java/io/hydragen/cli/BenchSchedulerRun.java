package io.hydragen.cli;

import io.hydragen.generate.Scheduler;

/**
 * One entry of {@code bench --scheduler}: a scheduler, optionally over its own new-token distribution
 * ({@code continuous@fixed:128}), so a varied stream and its equal-length reference run in one process, one after
 * the other, on the same prompts. The entry's text is its key under {@code schedulers} in the JSON.
 *
 * @param dist null: the run's {@code --max-new-tokens-dist} (or {@code --new-tokens} for every row)
 */
record BenchSchedulerRun(String label, Scheduler scheduler, BenchWorkload.NewTokensDist dist) {

    static BenchSchedulerRun parse(String entry) {
        String e = entry.strip();
        int at = e.indexOf('@');
        Scheduler kind;
        try {
            kind = Scheduler.parse(at < 0 ? e : e.substring(0, at));
        } catch (IllegalArgumentException x) {
            throw new UsageException("--scheduler: " + x.getMessage());
        }
        BenchWorkload.NewTokensDist dist = at < 0 ? null : BenchWorkload.NewTokensDist.parse(e.substring(at + 1));
        return new BenchSchedulerRun(dist == null ? kind.cliName() : kind.cliName() + "@" + dist, kind, dist);
    }

    /** The rows' budgets: this entry's own distribution, else the run's. */
    int[] budgets(int rows, int[] runBudgets) { return dist == null ? runBudgets : dist.draw(rows); }
}
