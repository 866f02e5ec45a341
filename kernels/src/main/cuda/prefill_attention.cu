// Causal prefill of a segment's own tokens: query t of the segment (KV position QPOS + t) attends to
// the segment's KV positions 0..QPOS+t. Attention to the ancestor segments is the unmasked
// prefix_attention into other partial slots, merged exactly through the LSE (merge.cu).
#include "attention_tile.cuh"

using namespace hg;

#define HG_PREFILL_ENTRY(D)                                                                                   \
    HG_KERNEL void __launch_bounds__(ATT_THREADS)                                                             \
        prefill_attention_d##D(const bf16* q, const bf16* kv, const long long* tiles, const int* rowList,     \
                               float* oPart, float* lsePart, int numRows, int numQHeads, int group, float scaleLog2) { \
        attention_tile<D, true>(q, kv, tiles, rowList, oPart, lsePart, numRows, numQHeads, group, scaleLog2); \
    }

HG_PREFILL_ENTRY(16)
HG_PREFILL_ENTRY(32)
HG_PREFILL_ENTRY(64)
HG_PREFILL_ENTRY(128)
