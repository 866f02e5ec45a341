package io.hydragen.backend.cuda;

import java.util.Arrays;

/**
 * The attention of one forward pass, laid out as the tables the kernels read (see attention_tile.cuh and
 * decode_attention.cu for the record formats):
 * <ul>
 *   <li>{@code rowList}, {@code limits}, {@code rowSlot}: per (block, segment) the query rows, the keys of that
 *       segment each may see, and the first partial slot the segment gives each row;</li>
 *   <li>{@code prefixTiles}: tensor-core tiles where every row sees the same keys (shared segments);</li>
 *   <li>{@code maskedTiles}: tensor-core tiles with per-row limits (causal prefill of a segment's own tokens);</li>
 *   <li>{@code decodeItems}: one query row against a chunk of one segment, on CUDA cores (few rows);</li>
 *   <li>{@code slots}: partial (O, LSE) slots per row that merge.cu combines.</li>
 * </ul>
 */
public record AttentionPlan(int rows, int slots, int[] rowList, int[] limits, int[] rowSlot,
                            long[] prefixTiles, long[] maskedTiles, long[] decodeItems, int decodeChunk) {

    /** Fields per tile record (attention_tile.cuh, ATT_FIELDS). */
    public static final int TILE_FIELDS = 10;
    public static final int T_ROWLIST = 0, T_NTOK = 1, T_ROW0 = 2, T_KV0 = 3, T_KV1 = 4, T_KADDR = 5, T_VADDR = 6,
            T_HSTRIDE = 7, T_LSTRIDE = 8, T_CHUNK = 9;
    /** Fields per decode item (decode_attention.cu, DEC_FIELDS). */
    public static final int ITEM_FIELDS = 8;
    public static final int D_QROW = 0, D_KADDR = 1, D_VADDR = 2, D_HSTRIDE = 3, D_LSTRIDE = 4, D_KV0 = 5, D_KV1 = 6, D_SLOT = 7;

    public int prefixTileCount() { return prefixTiles.length / TILE_FIELDS; }

    public int maskedTileCount() { return maskedTiles.length / TILE_FIELDS; }

    public int decodeItemCount() { return decodeItems.length / ITEM_FIELDS; }

    /**
     * What a captured CUDA graph depends on besides the table contents: launch grids, row count, slot count and
     * the decode chunk. Two plans with equal signatures can replay one graph after uploading their tables.
     */
    public String signature() {
        return rows + "/" + slots + "/" + rowList.length + "/" + prefixTileCount() + "/" + maskedTileCount() + "/"
                + decodeItemCount() + "/" + decodeChunk;
    }

    @Override
    public String toString() {
        return "AttentionPlan[rows=" + rows + ", slots=" + slots + ", prefix tiles=" + prefixTileCount() + ", masked tiles="
                + maskedTileCount() + ", decode items=" + decodeItemCount() + " (chunk " + decodeChunk + ")]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AttentionPlan p && rows == p.rows && slots == p.slots && decodeChunk == p.decodeChunk
                && Arrays.equals(rowList, p.rowList) && Arrays.equals(limits, p.limits) && Arrays.equals(rowSlot, p.rowSlot)
                && Arrays.equals(prefixTiles, p.prefixTiles) && Arrays.equals(maskedTiles, p.maskedTiles)
                && Arrays.equals(decodeItems, p.decodeItems);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(prefixTiles) * 31 + Arrays.hashCode(decodeItems); }
}
