package io.hydragen.backend.cuda;

/** Host side of merge.cu: the exact LSE merge of each row's partial attention slots, written as bf16 for o_proj. */
public final class MergeKernel {
    private final Kernel k;

    public MergeKernel(KernelSource lib) { this.k = lib.kernel("merge", "merge_attention"); }

    /**
     * @param out [rows, heads·headDim] bf16
     * @param lseOut [rows, heads] fp32, or null
     */
    public void launch(DeviceBuffer oPart, DeviceBuffer lsePart, int slots, int rows, int heads, int headDim, DeviceBuffer out,
                       DeviceBuffer lseOut) {
        long blocks = (long) rows * heads;
        if (blocks > Integer.MAX_VALUE) throw new IllegalArgumentException("too many rows for one merge launch");
        k.launch((int) blocks, 1, 1, Math.min(128, Math.max(32, headDim)), 0, Kernel.args().ptr(oPart).ptr(lsePart).i32(slots)
                .i32(rows).i32(heads).i32(headDim).ptr(out).ptrOrNull(lseOut));
    }
}
