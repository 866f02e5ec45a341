package io.hydragen.backend.cuda;

/**
 * Host side of decode_attention.cu: one query row against a chunk of one segment on CUDA cores (the unique
 * suffix of each sequence in decode; every segment of a row in per-sequence mode), split along the keys.
 */
public final class DecodeAttentionKernel {
    private final KernelSource lib;

    public DecodeAttentionKernel(KernelSource lib) { this.lib = lib; }

    /**
     * @param items {@code itemCount} records of {@link AttentionPlan#ITEM_FIELDS} int64
     * @param chunk the plan's decode chunk (largest key range of one item)
     */
    public void launch(AttentionShape s, DeviceBuffer q, DeviceBuffer items, int itemCount, DeviceBuffer oPart,
                       DeviceBuffer lsePart, int rows, int chunk, int layer) {
        if (itemCount == 0) return;
        Kernel k = lib.kernel("decode_attention", "decode_attention_d" + s.headDim());
        k.launch(itemCount, s.kvHeads(), 1, 128, sharedBytes(s, chunk), Kernel.args().ptr(q).ptr(items).ptr(oPart).ptr(lsePart)
                .i32(rows).i32(s.numQHeads()).i32(s.group()).f32(s.scaleLog2()).i32(chunk).i32(layer));
    }

    static int sharedBytes(AttentionShape s, int chunk) {
        int g = s.group(), d = s.headDim();
        return 4 * (g * d + g * chunk + 2 * g + 4 * 8 * d);
    }
}
