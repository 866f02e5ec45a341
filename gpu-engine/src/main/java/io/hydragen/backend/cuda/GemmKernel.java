package io.hydragen.backend.cuda;

/**
 * Host side of gemm.cu: C[M,N] (+)= A[M,K]·W[N,K]ᵀ (+ bias), bf16 operands, fp32 accumulation and output.
 * W is a Hugging Face weight as stored, [out, in] row-major.
 */
public final class GemmKernel {
    private final KernelSource lib;
    private final int multiprocessors;

    public GemmKernel(KernelSource lib) {
        this.lib = lib;
        this.multiprocessors = lib.info().multiprocessors();
    }

    public GemmPlan plan(int m, int n, int k) { return GemmPlan.of(m, n, k, multiprocessors); }

    /**
     * @param a [m,k] bf16 at byte offset {@code aOff}
     * @param w [n,k] bf16
     * @param c [m,ldc] fp32
     * @param bias [n] fp32 or null
     * @param accumulate add to C instead of overwriting it (residual connections)
     * @param workspace at least {@link GemmPlan#workspaceFloats()} floats when the plan splits K
     */
    public void launch(GemmPlan p, DeviceBuffer a, DeviceBuffer w, long wOff, DeviceBuffer c, int ldc, DeviceBuffer bias,
                       boolean accumulate, DeviceBuffer workspace) {
        if (ldc < p.n()) throw new IllegalArgumentException("ldc " + ldc + " < n " + p.n());
        boolean split = p.splits() > 1;
        if (split && (workspace == null || workspace.bytes() < 4 * p.workspaceFloats())) {
            throw new IllegalArgumentException("split-K GEMM needs " + p.workspaceFloats() + " floats of workspace");
        }
        Kernel k = lib.kernel("gemm", p.tile().entry);
        Kernel.Args args = Kernel.args().ptr(a).ptr(w.at(wOff)).ptr(c).ptrOrNull(bias);
        if (split) args.ptr(workspace); else args.nullPtr();
        args.i32(p.m()).i32(p.n()).i32(p.k()).i32(ldc).i32(p.kChunk()).i32(accumulate ? 1 : 0);
        k.launch(p.gridX(), p.gridY(), p.splits(), p.tile().threads, p.tile().sharedBytes(), args);
        if (split) {
            long total = (long) p.m() * p.n();
            int blocks = (int) Math.min(4L * multiprocessors * 8, (total + 255) / 256);
            lib.kernel("gemm", "gemm_splitk_reduce").launch(blocks, 1, 1, 256, 0, Kernel.args().ptr(workspace).i32(p.splits())
                    .ptr(c).ptrOrNull(bias).i32(p.m()).i32(p.n()).i32(ldc).i32(accumulate ? 1 : 0));
        }
    }
}
