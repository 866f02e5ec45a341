package io.hydragen.backend.cuda;

/** Host side of embedding.cu: out[r] = table[ids[r]] widened to fp32. */
public final class EmbeddingKernel {
    private final Kernel k;

    public EmbeddingKernel(KernelSource lib) { this.k = lib.kernel("embedding", "embedding_gather"); }

    /** @param ids [rows] int32; table [vocab, hidden] bf16; out [rows, hidden] fp32 */
    public void launch(DeviceBuffer ids, DeviceBuffer table, DeviceBuffer out, int rows, int hidden, int vocab) {
        k.launch(rows, 1, 1, 256, 0, Kernel.args().ptr(ids).ptr(table).ptr(out).i32(rows).i32(hidden).i32(vocab));
    }
}
