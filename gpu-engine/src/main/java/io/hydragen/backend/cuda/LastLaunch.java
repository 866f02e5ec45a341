package io.hydragen.backend.cuda;

/**
 * Host-side bookkeeping of the last kernel launched (name, grid, block, shared memory), so every
 * {@link CudaException} can name it: a kernel fault is reported by whichever driver call comes next
 * (a copy, a synchronisation), not by the launch. One value per process, as a fault poisons the context.
 */
final class LastLaunch {
    private static volatile String last;

    private LastLaunch() {}

    static void record(String launch) { last = launch; }

    /** The last launch, or null before the first. */
    static String get() { return last; }

    static void clear() { last = null; }
}
