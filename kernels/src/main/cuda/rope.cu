// Rotary position embedding, fused with writing q to its bf16 buffer and k, v into the KV cache.
// Every RoPE variant the loader accepts (default, linear, llama3) differs only in its inverse
// frequencies, which the host computes once, so one kernel serves them all.
#include "common.cuh"

using namespace hg;

// Row r of qkv (fp32, row stride ldqkv) holds [q: numHeads*D | k: numKv*D | v: numKv*D], the output of
// the fused q|k|v projection. Rotation follows Hugging Face's rotate_half: dimension i < D/2 pairs with
// i + D/2, angle = position * invFreq[i], computed in fp32 as transformers does.
//   qOut[r][h][:]                             = rope(q_h)   (bf16)
//   K(r) + layer*lstride + h*hstride + [0, D)  = rope(k_h)   (bf16, into the KV cache)
//   V(r) + layer*lstride + h*hstride + [0, D)  = v_h         (bf16)
// kvDst[4r..4r+3] = {K(r), V(r), hstride, lstride}: device addresses of K and V at the token's slot in
// layer 0 of its segment (laid out [layer][K|V][kvHead][capacity][D]), the elements between KV heads
// (capacity * D) and between layers.
// Grid: rows blocks; block: any multiple of 32.
HG_KERNEL void rope_qkv(const float* __restrict__ qkv, int ldqkv, const int* __restrict__ positions,
                        const float* __restrict__ invFreq, bf16* __restrict__ qOut, const long long* __restrict__ kvDst,
                        int rows, int numHeads, int numKv, int headDim, int layer) {
    const int r = blockIdx.x;
    if (r >= rows) return;
    const int half = headDim >> 1;
    const float pos = (float)positions[r];
    const float* row = qkv + (long long)r * ldqkv;
    const long long headStride = kvDst[4 * r + 2], layerOff = (long long)layer * kvDst[4 * r + 3];
    bf16* kDst = reinterpret_cast<bf16*>(kvDst[4 * r]) + layerOff;
    bf16* vDst = reinterpret_cast<bf16*>(kvDst[4 * r + 1]) + layerOff;

    const int rotPairs = (numHeads + numKv) * half;
    for (int e = threadIdx.x; e < rotPairs; e += blockDim.x) {
        const int h = e / half, i = e - h * half;
        float s, c;
        sincosf(pos * invFreq[i], &s, &c);
        const float* src = row + h * headDim;  // k heads follow the q heads in the row
        const float x1 = src[i], x2 = src[i + half];
        const float y1 = x1 * c - x2 * s, y2 = x2 * c + x1 * s;
        if (h < numHeads) {
            bf16* dst = qOut + ((long long)r * numHeads + h) * headDim;
            dst[i] = __float2bfloat16_rn(y1);
            dst[i + half] = __float2bfloat16_rn(y2);
        } else {
            bf16* dst = kDst + (long long)(h - numHeads) * headStride;
            dst[i] = __float2bfloat16_rn(y1);
            dst[i + half] = __float2bfloat16_rn(y2);
        }
    }
    const float* v = row + (numHeads + numKv) * headDim;
    for (int e = threadIdx.x; e < numKv * headDim; e += blockDim.x) {
        const int h = e / headDim, d = e - h * headDim;
        vDst[(long long)h * headStride + d] = __float2bfloat16_rn(v[e]);
    }
}
