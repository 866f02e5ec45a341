package io.hydragen.backend;

import org.bytedeco.javacpp.Pointer;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;

/**
 * JavaCPP's allocated bytes ({@link Pointer#totalBytes()}, global to the JVM) once the buffers that earlier tests in
 * this JVM dropped without closing have been collected and freed. JavaCPP frees an unreachable pointer on its own
 * thread whenever a garbage collection finds it, so a test that compares the total before and after its own work
 * reads "before" here: otherwise an earlier test's garbage freed in between moves the total (by chance: when the
 * collector runs depends on the machine's load).
 */
public final class SettledOffHeap {
    private SettledOffHeap() {}

    /**
     * The total once three readings 50 ms apart agree, each after a collection whose references the JVM has handed
     * to their queues (a sentinel's arrival says so: on a loaded machine that hand-over lags the collection, and an
     * early reading then missed garbage still on its way to JavaCPP). At most about two seconds.
     */
    public static long totalBytes() {
        long last = -1;
        int same = 0;
        for (int i = 0; i < 40; i++) {
            try {
                collectAndWaitForReferences();
                Pointer.deallocateReferences();
                long now = Pointer.totalBytes();
                same = now == last ? same + 1 : 0;
                if (same == 2) return now;
                last = now;
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Pointer.totalBytes();
            }
        }
        return last;
    }

    private static void collectAndWaitForReferences() throws InterruptedException {
        ReferenceQueue<Object> queue = new ReferenceQueue<>();
        PhantomReference<Object> sentinel = new PhantomReference<>(new Object(), queue);
        System.gc();
        queue.remove(1000);
        sentinel.clear();
    }
}
