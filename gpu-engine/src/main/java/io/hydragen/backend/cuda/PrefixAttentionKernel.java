package io.hydragen.backend.cuda;

/**
 * Host side of prefix_attention.cu: Hydragen's inter-sequence-batched attention over shared segments (no mask),
 * GQA heads stacked, on tensor cores; writes partial (O, LSE) slots.
 */
public final class PrefixAttentionKernel {
    private final KernelSource lib;

    public PrefixAttentionKernel(KernelSource lib) { this.lib = lib; }

    /**
     * @param q [rows, numQHeads, headDim] bf16
     * @param tiles {@code tileCount} records of {@link AttentionPlan#TILE_FIELDS} int64
     * @param oPart [slots, rows, numQHeads, headDim] fp32; lsePart [slots, rows, numQHeads] fp32
     */
    public void launch(AttentionShape s, DeviceBuffer q, DeviceBuffer tiles, int tileCount, DeviceBuffer rowList,
                       DeviceBuffer rowSlot, DeviceBuffer oPart, DeviceBuffer lsePart, int rows, int layer) {
        if (tileCount == 0) return;
        Kernel k = lib.kernel("prefix_attention", "prefix_attention_d" + s.headDim());
        k.launch(tileCount, s.kvHeads(), 1, 128, tileSharedBytes(s), Kernel.args().ptr(q).ptr(tiles).ptr(rowList).nullPtr()
                .ptr(rowSlot).ptr(oPart).ptr(lsePart).i32(rows).i32(s.numQHeads()).i32(s.group()).f32(s.scaleLog2()).i32(layer));
    }

    static int tileSharedBytes(AttentionShape s) { return (64 + 4 * 64) * (s.headDim() + 8) * 2; }
}
