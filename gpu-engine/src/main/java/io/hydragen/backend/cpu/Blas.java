package io.hydragen.backend.cpu;

import org.bytedeco.openblas.global.openblas_nolapack;


/**
 * The few BLAS calls the CPU backend makes, row-major, on off-heap buffers. OpenBLAS runs single-threaded
 * inside each call: the backend splits work across its own threads, so two levels of threading never fight
 * over the same cores.
 */
final class Blas {
    private Blas() {}

    static {
        org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(1);
    }

    /** C[m×n] = alpha · A[m×k] · B[n×k]ᵀ + beta · C  (B stored as rows, like a [out, in] weight). */
    static void gemmNT(int m, int n, int k, float alpha, OffHeap a, long aOff, int lda, OffHeap b, long bOff, int ldb,
                       float beta, OffHeap c, long cOff, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans, openblas_nolapack.CblasTrans,
                m, n, k, alpha, a.at(aOff), lda, b.at(bOff), ldb, beta, c.at(cOff), ldc);
    }

    /** C[m×n] = alpha · A[m×k] · B[k×n] + beta · C. */
    static void gemmNN(int m, int n, int k, float alpha, OffHeap a, long aOff, int lda, OffHeap b, long bOff, int ldb,
                       float beta, OffHeap c, long cOff, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans, openblas_nolapack.CblasNoTrans,
                m, n, k, alpha, a.at(aOff), lda, b.at(bOff), ldb, beta, c.at(cOff), ldc);
    }

    /** Measured single-call SGEMM rate on a square problem, for benchmark reports. */
    static double measureGflops(int size, int threads) {
        try (OffHeap a = new OffHeap((long) size * size); OffHeap b = new OffHeap((long) size * size); OffHeap c = new OffHeap((long) size * size)) {
            for (int i = 0; i < size * size; i++) { a.set(i, (i % 7) * 0.1f); b.set(i, (i % 5) * 0.1f); }
            gemmNT(size, size, size, 1f, a, 0, size, b, 0, size, 0f, c, 0, size); // warm-up
            long t = System.nanoTime();
            int reps = 3;
            for (int r = 0; r < reps; r++) gemmNT(size, size, size, 1f, a, 0, size, b, 0, size, 0f, c, 0, size);
            double s = (System.nanoTime() - t) / 1e9 / reps;
            return 2.0 * size * size * size / s / 1e9;
        }
    }
}
