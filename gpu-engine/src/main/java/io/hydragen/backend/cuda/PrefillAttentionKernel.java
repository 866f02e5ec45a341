package io.hydragen.backend.cuda;

/**
 * Host side of prefill_attention.cu: tensor-core attention with a per-row key limit, used for the causal prefill
 * of a segment's own tokens (row i sees the first {@code limits[i]} keys).
 */
public final class PrefillAttentionKernel {
    private final KernelSource lib;

    public PrefillAttentionKernel(KernelSource lib) { this.lib = lib; }

    /** Arguments as {@link PrefixAttentionKernel#launch}, plus {@code limits} indexed like rowList. */
    public void launch(AttentionShape s, DeviceBuffer q, DeviceBuffer tiles, int tileCount, DeviceBuffer rowList,
                       DeviceBuffer limits, DeviceBuffer rowSlot, DeviceBuffer oPart, DeviceBuffer lsePart, int rows, int layer) {
        if (tileCount == 0) return;
        Kernel k = lib.kernel("prefill_attention", "prefill_attention_d" + s.headDim());
        k.launch(tileCount, s.kvHeads(), 1, 128, PrefixAttentionKernel.tileSharedBytes(s), Kernel.args().ptr(q).ptr(tiles)
                .ptr(rowList).ptr(limits).ptr(rowSlot).ptr(oPart).ptr(lsePart).i32(rows).i32(s.numQHeads()).i32(s.group())
                .f32(s.scaleLog2()).i32(layer));
    }
}
