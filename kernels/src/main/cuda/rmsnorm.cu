// RMSNorm as Llama computes it: y = w * (x / sqrt(mean(x^2) + eps)), in fp32 (weights kept in fp32 on
// the device, so F16 and F32 checkpoints lose nothing here), rounded once to bf16 because the result
// feeds a tensor-core GEMM.
#include "common.cuh"

using namespace hg;

// out[r] = rmsnorm(x[rowIdx ? rowIdx[r] : r]) * w. The optional row index lets the final norm pick only
// the rows whose logits are needed (the last token of each sequence) without a separate gather.
// Grid: rows blocks; block: a multiple of 32 threads, at most 1024.
HG_KERNEL void rmsnorm(const float* __restrict__ x, const int* __restrict__ rowIdx, const float* __restrict__ w,
                       bf16* __restrict__ out, int rows, int hidden, float eps) {
    __shared__ float scratch[32];
    const int r = blockIdx.x;
    if (r >= rows) return;
    const int src = rowIdx ? rowIdx[r] : r;
    const float* xr = x + (long long)src * hidden;
    float ss = 0.f;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) {
        float v = xr[i];
        ss += v * v;
    }
    ss = block_sum(ss, scratch);
    const float inv = rsqrtf(ss / (float)hidden + eps);
    bf16* o = out + (long long)r * hidden;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) o[i] = __float2bfloat16_rn(xr[i] * inv * w[i]);
}
