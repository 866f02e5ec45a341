// Element-wise pieces of the MLP and the residual stream.
#include "common.cuh"

using namespace hg;

// SwiGLU over the fused gate|up projection: gateUp row r holds [gate(0..inter) | up(0..inter)];
// out[r][i] = silu(gate[i]) * up[i], rounded to bf16 for the down-projection GEMM.
// Grid: any (grid-stride loop); block: any.
HG_KERNEL void swiglu(const float* __restrict__ gateUp, bf16* __restrict__ out, int rows, int inter) {
    const long long n = (long long)rows * inter;
    for (long long e = blockIdx.x * (long long)blockDim.x + threadIdx.x; e < n; e += (long long)gridDim.x * blockDim.x) {
        const long long r = e / inter;
        const int i = (int)(e - r * inter);
        const float g = gateUp[r * 2 * inter + i];
        const float u = gateUp[r * 2 * inter + inter + i];
        out[e] = __float2bfloat16_rn(g / (1.f + __expf(-g)) * u);
    }
}

// x += y over n floats (the residual add when a projection did not accumulate into x itself).
HG_KERNEL void residual_add(float* __restrict__ x, const float* __restrict__ y, long long n) {
    for (long long e = blockIdx.x * (long long)blockDim.x + threadIdx.x; e < n; e += (long long)gridDim.x * blockDim.x)
        x[e] += y[e];
}
