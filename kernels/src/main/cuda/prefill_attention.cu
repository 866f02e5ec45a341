// Causal prefill of a segment's own tokens: each query token sees only the first limits[t] keys of
// the segment (its own slot + 1 for a prompt being prefilled; any per-token limit works). Attention
// to the ancestor segments is the unmasked prefix_attention into other partial slots, merged exactly
// through the LSE (merge.cu). See attention_tile.cuh for the tile record and the grid.
#include "attention_tile.cuh"

using namespace hg;

#define HG_PREFILL_ENTRY(D)                                                                                   \
    HG_KERNEL void __launch_bounds__(ATT_THREADS)                                                             \
        prefill_attention_d##D(const bf16* q, const long long* tiles, const int* rowList, const int* limits,     \
                               const int* rowSlot, float* oPart, float* lsePart, int numRows, int numQHeads, int group,  \
                     float scaleLog2, int layer) {                                                            \
        attention_tile<D, true>(q, tiles, rowList, limits, rowSlot, oPart, lsePart, numRows, numQHeads, group, \
                                  scaleLog2, layer);                                                          \
    }

HG_PREFILL_ENTRY(16)
HG_PREFILL_ENTRY(32)
HG_PREFILL_ENTRY(64)
HG_PREFILL_ENTRY(128)
