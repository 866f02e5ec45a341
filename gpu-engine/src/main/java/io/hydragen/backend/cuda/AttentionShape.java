package io.hydragen.backend.cuda;

/** Head layout of a model's attention: query heads, KV heads (GQA) and the head dimension. */
public record AttentionShape(int numQHeads, int kvHeads, int headDim) {
    public AttentionShape {
        if (kvHeads <= 0 || numQHeads % kvHeads != 0) {
            throw new IllegalArgumentException("query heads " + numQHeads + " not a multiple of KV heads " + kvHeads);
        }
    }

    /** Query heads per KV head. */
    public int group() { return numQHeads / kvHeads; }

    /** Softmax scale 1/sqrt(d) times log2(e): the kernels work in base 2 (exp2). */
    public float scaleLog2() { return (float) (1.0 / Math.sqrt(headDim) / Math.log(2.0)); }

    /** Head dimensions with a tensor-core attention kernel. */
    public boolean tensorCoreHeadDim() { return headDim == 16 || headDim == 32 || headDim == 64 || headDim == 128; }

    /** Head dimensions the decode kernel handles (one 16-byte vector per thread, a power of two threads per key). */
    public boolean decodeHeadDim() { return headDim >= 16 && headDim <= 256 && Integer.bitCount(headDim) == 1; }

    /** Why the CUDA kernels cannot serve this shape, or null. */
    public String unsupportedReason() {
        if (!tensorCoreHeadDim()) return "head_dim " + headDim + " has no CUDA attention kernel (16, 32, 64 or 128)";
        return null;
    }
}
