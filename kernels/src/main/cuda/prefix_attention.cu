// Inter-sequence-batched attention over a shared segment (Hydragen): the queries of every sequence
// under the segment, GQA heads stacked, against the segment's KV read once per 64 stacked rows; no
// mask, since every token of an ancestor segment precedes every query (limits is unused and may be
// null). Output: partial slots of (O, LSE) per query row and head. See attention_tile.cuh for the
// tile record and the grid.
#include "attention_tile.cuh"

using namespace hg;

#define HG_PREFIX_ENTRY(D)                                                                                   \
    HG_KERNEL void __launch_bounds__(ATT_THREADS)                                                             \
        prefix_attention_d##D(const bf16* q, const long long* tiles, const int* rowList, const int* limits,      \
                              const int* rowSlot, float* oPart, float* lsePart, int numRows, int numQHeads, int group,  \
                     float scaleLog2, int layer) {                                                            \
        attention_tile<D, false>(q, tiles, rowList, limits, rowSlot, oPart, lsePart, numRows, numQHeads, group, \
                                  scaleLog2, layer);                                                          \
    }

HG_PREFIX_ENTRY(16)
HG_PREFIX_ENTRY(32)
HG_PREFIX_ENTRY(64)
HG_PREFIX_ENTRY(128)
