package io.hydragen.backend.cpu;

/** A weight matrix [rows = outputs × cols = inputs], Hugging Face's layout, in the storage type the backend chose. */
sealed interface WeightMatrix extends AutoCloseable permits Fp32Matrix, Bf16Matrix {
    int rows();

    int cols();

    /** Row r widened to fp32 into dst at dstOff (the embedding lookup). */
    void row(int r, OffHeap dst, int dstOff);

    /** Bytes held. */
    long bytes();

    @Override
    void close();
}
