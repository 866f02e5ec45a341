package io.hydragen.backend;

import org.bytedeco.javacpp.Pointer;

/**
 * JavaCPP's allocated bytes ({@link Pointer#totalBytes()}, global to the JVM) once the buffers that earlier tests in
 * this JVM dropped without closing have been collected and freed. JavaCPP frees an unreachable pointer on its own
 * thread whenever a garbage collection finds it, so a test that compares the total before and after its own work
 * reads "before" here: otherwise an earlier test's garbage freed in between moves the total (by chance: when the
 * collector runs depends on the machine's load).
 */
public final class SettledOffHeap {
    private SettledOffHeap() {}

    /** The total once two readings 50 ms apart, each after a collection, agree (at most about a second). */
    public static long totalBytes() {
        long last = -1;
        for (int i = 0; i < 20; i++) {
            System.gc();
            Pointer.deallocateReferences();
            long now = Pointer.totalBytes();
            if (now == last) return now;
            last = now;
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return now;
            }
        }
        return last;
    }
}
