// Embedding gather: the residual stream starts as fp32 copies of the token rows of the bf16 table.
#include "common.cuh"

using namespace hg;

// out[r][:] = table[ids[r]][:]; an id outside [0, vocab) gives a zero row (the host rejects such ids
// before launching, so this only keeps a stray id from reading out of bounds).
// Grid: rows blocks; any block size.
HG_KERNEL void embedding_gather(const int* __restrict__ ids, const bf16* __restrict__ table, float* __restrict__ out,
                                int rows, int hidden, int vocab) {
    const int r = blockIdx.x;
    if (r >= rows) return;
    const int id = ids[r];
    float* dst = out + (long long)r * hidden;
    if (id < 0 || id >= vocab) {
        for (int i = threadIdx.x; i < hidden; i += blockDim.x) dst[i] = 0.f;
        return;
    }
    const bf16* src = table + (long long)id * hidden;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) dst[i] = to_f32(src[i]);
}
