package io.hydragen.backend.cuda;

/**
 * Host side of rope.cu: rotates q and k of the fused q|k|v projection (inverse frequencies from
 * {@link io.hydragen.model.Rope}, so default, linear and llama3 scaling are one kernel), writes q as bf16 and
 * k, v into each row's KV segment slot.
 */
public final class RopeKernel {
    /** int64 values per row of the destination table: K address, V address, head stride, layer stride. */
    public static final int DST_FIELDS = 4;

    private final Kernel k;

    public RopeKernel(KernelSource lib) { this.k = lib.kernel("rope", "rope_qkv"); }

    /**
     * @param qkv [rows, ldqkv] fp32
     * @param positions [rows] int32
     * @param invFreq [headDim/2] fp32
     * @param qOut [rows, numHeads, headDim] bf16
     * @param kvDst [rows * 4] int64, see {@link #DST_FIELDS}
     */
    public void launch(DeviceBuffer qkv, int ldqkv, DeviceBuffer positions, DeviceBuffer invFreq, DeviceBuffer qOut,
                       DeviceBuffer kvDst, int rows, int numHeads, int numKv, int headDim, int layer) {
        k.launch(rows, 1, 1, 128, 0, Kernel.args().ptr(qkv).i32(ldqkv).ptr(positions).ptr(invFreq).ptr(qOut).ptr(kvDst)
                .i32(rows).i32(numHeads).i32(numKv).i32(headDim).i32(layer));
    }
}
