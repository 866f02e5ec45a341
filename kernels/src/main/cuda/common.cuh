// Shared device helpers for the Hydragen kernels: bf16 packing, warp/block reductions, and thin
// wrappers over the PTX instructions the tensor-core kernels use (cp.async, ldmatrix, mma.sync).
// Every kernel entry point is extern "C" so its PTX .entry name is the plain C name the host looks up.
#pragma once

#include <cuda_bf16.h>
#include <stdint.h>

#define HG_KERNEL extern "C" __global__

namespace hg {

typedef __nv_bfloat16 bf16;

constexpr float LOG2E = 1.4426950408889634f;
constexpr float LN2 = 0.6931471805599453f;

__device__ __forceinline__ float to_f32(bf16 v) { return __bfloat162float(v); }

// Two floats as one bf16x2 register: `lo` in the low 16 bits, which is the element with the smaller
// column index in every mma fragment.
__device__ __forceinline__ uint32_t pack_bf16x2(float lo, float hi) {
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&v);
}

// Eight bf16 (one 16-byte vector, by value: a reference to memory would let nvcc split the load into
// four 4-byte loads) widened to floats. A bf16 is the high half of its float.
__device__ __forceinline__ void unpack8(uint4 raw, float out[8]) {
    const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        out[2 * i] = __uint_as_float(w[i] << 16);
        out[2 * i + 1] = __uint_as_float(w[i] & 0xffff0000u);
    }
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Block-wide sum; every thread gets the result. `scratch` holds at least 32 floats. The summation
// order depends only on blockDim, so a fixed launch shape gives bit-identical results run to run.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float r = lane < nwarps ? scratch[lane] : 0.f;
    r = warp_sum(r);
    return r;
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float r = lane < nwarps ? scratch[lane] : -INFINITY;
    r = warp_max(r);
    return r;
}

// The PTX wrappers below are the only inline assembly of the kernels. The CPU emulation build
// (kernels/emu, -DHG_EMULATION) provides the same functions with the PTX-ISA semantics instead.
#ifndef HG_EMULATION
__device__ __forceinline__ uint32_t smem_addr(const void* p) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16-byte asynchronous global->shared copy; src_bytes = 0 fills the destination with zeros (used for
// rows and columns past the end of a matrix, whose `src` must still be a valid address).
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(smem)), "l"(gmem), "r"(src_bytes));
}

// One 16-byte load through the read-only (non-coherent) path: ld.global.nc.v4.u32. `p` must be 16-byte
// aligned and its memory not written by the kernel (K and V in attention).
__device__ __forceinline__ uint4 ld_nc_v4(const void* p) {
    uint4 r;
    asm("ld.global.nc.v4.u32 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r.x), "=r"(r.y), "=r"(r.z), "=r"(r.w)
                 : "l"(p));
    return r;
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

// Four 8x8 b16 matrices; lanes 8i..8i+7 give the row addresses of matrix i, and register i of each
// lane receives row lane/4, columns 2*(lane%4) and +1 of matrix i (its transpose with .trans).
__device__ __forceinline__ void ldmatrix_x4(uint32_t r[4], const void* smem) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr(smem)));
}

__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t r[4], const void* smem) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(smem_addr(smem)));
}

// D = A(16x16, row) * B(16x8, col) + D with bf16 inputs and fp32 accumulators.
// Fragments (groupID g = lane/4, t = lane%4): a0a1 = A[g][2t..], a2a3 = A[g+8][2t..], a4a5 = A[g][2t+8..],
// a6a7 = A[g+8][2t+8..]; b0b1 = B[2t..][g], b2b3 = B[2t+8..][g]; d0d1 = D[g][2t..], d2d3 = D[g+8][2t..].
__device__ __forceinline__ void mma_bf16_16816(float d[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

#endif  // HG_EMULATION

}  // namespace hg
