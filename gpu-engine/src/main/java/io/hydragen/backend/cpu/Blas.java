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
}
