package io.hydragen.cli;

import io.hydragen.generate.Scheduler;

/**
 * One entry of {@code bench --scheduler}: a scheduler, optionally over its own new-token lengths, so a varied stream
 * and its equal-length reference run in one process, one after the other, on the same prompts:
 * {@code continuous@fixed:128} (every row 128), or {@code continuous@fixed} (the run's drawn total spread evenly, rows
 * differing by one token at most: the same work in equal lengths). The entry's text is its key under {@code schedulers}
 * in the JSON.
 *
 * @param dist null: the run's {@code --max-new-tokens-dist} (or {@code --new-tokens} for every row)
 * @param sameTotal the run's total spread evenly (then {@code dist} is null)
 */
record BenchSchedulerRun(String label, Scheduler scheduler, BenchWorkload.NewTokensDist dist, boolean sameTotal) {

    static BenchSchedulerRun parse(String entry) {
        String e = entry.strip();
        int at = e.indexOf('@');
        Scheduler kind;
        try {
            kind = Scheduler.parse(at < 0 ? e : e.substring(0, at));
        } catch (IllegalArgumentException x) {
            throw new UsageException("--scheduler: " + x.getMessage());
        }
        if (at >= 0 && e.substring(at + 1).strip().equals("fixed")) return new BenchSchedulerRun(kind.cliName() + "@fixed", kind, null, true);
        BenchWorkload.NewTokensDist dist = at < 0 ? null : BenchWorkload.NewTokensDist.parse(e.substring(at + 1));
        return new BenchSchedulerRun(dist == null ? kind.cliName() : kind.cliName() + "@" + dist, kind, dist, false);
    }

    /** The rows' budgets: this entry's own, else the run's. */
    int[] budgets(int rows, int[] runBudgets) {
        if (dist != null) return dist.draw(rows);
        if (!sameTotal) return runBudgets;
        long total = 0;
        for (int b : runBudgets) total += b;
        int[] out = new int[rows];
        for (int i = 0; i < rows; i++) out[i] = (int) (total / rows + (i < total % rows ? 1 : 0));
        return out;
    }
}
