package io.hydragen.backend.cuda;

/** Host side of rmsnorm.cu: out[r] = x[rowIdx[r]] / rms · w, fp32 in (and fp32 weights), bf16 out. */
public final class RmsNormKernel {
    private final Kernel k;

    public RmsNormKernel(KernelSource lib) { this.k = lib.kernel("rmsnorm", "rmsnorm"); }

    /** Threads per row: enough to cover the row in a few passes, a multiple of 32, at most 1024. */
    static int threads(int hidden) { return Math.max(32, Math.min(1024, (hidden / 4 + 31) / 32 * 32)); }

    /**
     * @param rowIdx [rows] int32 source rows of x, or null for rows 0..rows-1
     */
    public void launch(DeviceBuffer x, DeviceBuffer rowIdx, DeviceBuffer w, DeviceBuffer out, int rows, int hidden, float eps) {
        k.launch(rows, 1, 1, threads(hidden), 0, Kernel.args().ptr(x).ptrOrNull(rowIdx).ptr(w).ptr(out).i32(rows).i32(hidden).f32(eps));
    }
}
