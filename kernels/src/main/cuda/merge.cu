// Exact merge of partial attention results through their log-sum-exp: for the partial slots i of one
// query row and head, lse = log sum_i exp(lse_i) and o = sum_i exp(lse_i - lse) * o_i. A slot with
// lse_i = -inf (unused, or attention over an empty range) contributes nothing; its o_i is never read,
// so it may hold anything.
#include "common.cuh"

using namespace hg;

// oPart: [slots][rows][heads][D] fp32, lsePart: [slots][rows][heads] fp32.
// out: [rows][heads*D] bf16 (the o_proj input); lseOut: [rows][heads] fp32, or null.
// Grid: rows*heads blocks; block: any multiple of 32.
HG_KERNEL void merge_attention(const float* __restrict__ oPart, const float* __restrict__ lsePart, int slots, int rows,
                               int heads, int D, bf16* __restrict__ out, float* __restrict__ lseOut) {
    const long long rh = blockIdx.x;  // row * heads + head
    if (rh >= (long long)rows * heads) return;
    const long long slotStride = (long long)rows * heads;
    float m = -INFINITY;
    for (int i = 0; i < slots; ++i) m = fmaxf(m, lsePart[i * slotStride + rh]);
    float wsum = 0.f;
    for (int i = 0; i < slots; ++i) {
        const float l = lsePart[i * slotStride + rh];
        if (l != -INFINITY) wsum += __expf(l - m);
    }
    const float inv = wsum > 0.f ? 1.f / wsum : 0.f;
    for (int d = threadIdx.x; d < D; d += blockDim.x) {
        float acc = 0.f;
        for (int i = 0; i < slots; ++i) {
            const float l = lsePart[i * slotStride + rh];
            if (l != -INFINITY) acc += __expf(l - m) * oPart[(i * slotStride + rh) * D + d];
        }
        out[rh * D + d] = __float2bfloat16_rn(acc * inv);
    }
    if (lseOut && threadIdx.x == 0) lseOut[rh] = wsum > 0.f ? m + logf(wsum) : -INFINITY;
}
