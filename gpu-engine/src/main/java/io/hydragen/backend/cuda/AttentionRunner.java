package io.hydragen.backend.cuda;

/**
 * One attention step of a plan on the device: empty every partial slot (LSE = -inf), run the prefix tiles, the
 * masked (causal) tiles and the decode items into their slots, and merge each row's slots into the bf16 output.
 * The tables must have been uploaded; shared by the backend's forward pass and the attention benchmark.
 */
public final class AttentionRunner {
    private final AttentionShape shape;
    private final PrefixAttentionKernel prefix;
    private final PrefillAttentionKernel prefill;
    private final DecodeAttentionKernel decode;
    private final MergeKernel merge;

    public AttentionRunner(KernelSource lib, AttentionShape shape) {
        this.shape = shape;
        this.prefix = new PrefixAttentionKernel(lib);
        this.prefill = new PrefillAttentionKernel(lib);
        this.decode = new DecodeAttentionKernel(lib);
        this.merge = new MergeKernel(lib);
    }

    /** Device copies of a plan's tables and the partial-result buffers it needs. */
    public record Tables(DeviceBuffer rowList, DeviceBuffer limits, DeviceBuffer rowSlot, DeviceBuffer prefixTiles,
                         DeviceBuffer maskedTiles, DeviceBuffer decodeItems, DeviceBuffer oPart, DeviceBuffer lsePart) {

        /** Copies the plan's tables into the buffers (queued on the stream, before the launches that read them). */
        public void upload(AttentionPlan p) {
            rowList.upload(p.rowList());
            limits.upload(p.limits());
            rowSlot.upload(p.rowSlot());
            prefixTiles.upload(p.prefixTiles());
            maskedTiles.upload(p.maskedTiles());
            decodeItems.upload(p.decodeItems());
        }
    }

    /** Bytes each table buffer of {@link Tables} needs for plan {@code p}, in record order (at least 4 each). */
    public static long[] tableBytes(AttentionPlan p, AttentionShape s) {
        long cells = (long) p.slots() * p.rows() * s.numQHeads();
        return new long[] {4L * Math.max(1, p.rowList().length), 4L * Math.max(1, p.limits().length),
                4L * Math.max(1, p.rowSlot().length), 8L * Math.max(1, p.prefixTiles().length),
                8L * Math.max(1, p.maskedTiles().length), 8L * Math.max(1, p.decodeItems().length),
                4L * cells * s.headDim(), 4L * cells};
    }

    /**
     * @param q [rows, numQHeads, headDim] bf16
     * @param out [rows, numQHeads·headDim] bf16
     * @param lseOut [rows, numQHeads] fp32 or null
     */
    public void run(AttentionPlan p, Tables t, DeviceBuffer q, int layer, DeviceBuffer out, DeviceBuffer lseOut) {
        int rows = p.rows();
        t.lsePart().fill32(Float.floatToRawIntBits(Float.NEGATIVE_INFINITY), 0, (long) p.slots() * rows * shape.numQHeads());
        prefix.launch(shape, q, t.prefixTiles(), p.prefixTileCount(), t.rowList(), t.rowSlot(), t.oPart(), t.lsePart(), rows, layer);
        prefill.launch(shape, q, t.maskedTiles(), p.maskedTileCount(), t.rowList(), t.limits(), t.rowSlot(), t.oPart(), t.lsePart(),
                rows, layer);
        decode.launch(shape, q, t.decodeItems(), p.decodeItemCount(), t.oPart(), t.lsePart(), rows, p.decodeChunk(), layer);
        merge.launch(t.oPart(), t.lsePart(), p.slots(), rows, shape.numQHeads(), shape.headDim(), out, lseOut);
    }
}
