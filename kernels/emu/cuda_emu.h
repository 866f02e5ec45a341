// CUDA device emulation on the host CPU, the way CUDA's old "device emulation" mode worked: the unchanged
// kernel sources (kernels/src/main/cuda) are compiled by the host C++ compiler with this header force-included
// (g++ -include cuda_emu.h -DHG_EMULATION), and emu_runtime.cpp runs each block's threads as fibers (ucontext)
// on one host thread, blocks one after another, switching only where a GPU thread waits for others.
//
//   threadIdx, blockIdx, blockDim, gridDim  thread_local, set by the launcher for every thread of every block
//   __syncthreads()                         a barrier across the live threads of the block (exited threads count
//                                           as arrived, as on the GPU)
//   __shfl_*_sync, mma.sync, ldmatrix       warp rendezvous: the 32 lanes publish their operands, meet at a
//                                           barrier, and each computes its own result from all lanes' values
//                                           (a collective reached with exited lanes is reported as an error)
//   cp.async                                the source is read (and checked by AddressSanitizer) when the copy is
//                                           issued; shared memory is written only when cp.async.wait_group
//                                           retires its group, so a missing wait reads stale data
//   extern __shared__ (dynamic)             a heap block of exactly the launch's sharedBytes per block, filled
//                                           with 0xFF (NaN) bytes, so AddressSanitizer reports any access past
//                                           the size the host computed (the source line is rewritten by the
//                                           test harness to `T* name = (T*)emu::dynamic_smem();`, see NOTES.md)
//   static __shared__                       function-local statics (blocks run one after another)
//
// Fragment layouts of mma.m16n8k16 and ldmatrix follow the PTX ISA ("Matrix Fragments for mma.m16n8k16 with
// floating point type", "Warp-level matrix load instruction: ldmatrix"); see the comments at each function.
#pragma once
#define HG_EMULATION 1

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

// ---- declaration specifiers ------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __shared__ static
#define __constant__ static
#define __align__(n) alignas(n)
#define __launch_bounds__(...)

// ---- vector types and built-in variables -----------------------------------------------------------------
struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) uint2 { unsigned int x, y; };
struct alignas(16) uint4 { unsigned int x, y, z, w; };
struct alignas(16) int4 { int x, y, z, w; };
struct uint3 { unsigned int x, y, z; };
struct dim3 {
    unsigned int x = 1, y = 1, z = 1;
    dim3() = default;
    dim3(unsigned int x_, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return uint4{x, y, z, w}; }

inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;
constexpr int warpSize = 32;

// ---- the runtime (emu_runtime.cpp) ---------------------------------------------------------------------
namespace emu {
[[noreturn]] void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void syncthreads();
void* dynamic_smem();
// Every lane of the calling warp passes `bytes` bytes; all 32 lanes' values land in `all` (lane-major).
void warp_gather(const void* mine, size_t bytes, void* all);
// Checks that [p, p + bytes) lies in the block's dynamic shared memory and p is `align`-aligned.
void check_smem(const void* p, size_t bytes, size_t align, const char* what);
void cp_async(void* smem, const void* gmem, int srcBytes);
void cp_async_commit();
void cp_async_wait(int pending);
inline unsigned lane() { return threadIdx.x & 31u; }
inline void full_mask(unsigned mask, const char* what) {
    if (mask != 0xffffffffu) fail("%s with mask 0x%08x: only full-warp collectives are emulated", what, mask);
}
}  // namespace emu

#define __syncthreads() ::emu::syncthreads()

// ---- warp shuffles ---------------------------------------------------------------------------------------
template <class T>
inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
    emu::full_mask(mask, "__shfl_sync");
    T all[32];
    emu::warp_gather(&v, sizeof(T), all);
    const int l = (int)emu::lane();
    return all[(l & ~(width - 1)) + (src & (width - 1))];
}
template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) {
    emu::full_mask(mask, "__shfl_xor_sync");
    T all[32];
    emu::warp_gather(&v, sizeof(T), all);
    const int l = (int)emu::lane();
    const int s = l ^ laneMask;
    return (s & ~(width - 1)) == (l & ~(width - 1)) ? all[s] : v;
}
template <class T>
inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    emu::full_mask(mask, "__shfl_up_sync");
    T all[32];
    emu::warp_gather(&v, sizeof(T), all);
    const int l = (int)emu::lane();
    return (l & (width - 1)) >= (int)delta ? all[l - (int)delta] : v;
}
template <class T>
inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    emu::full_mask(mask, "__shfl_down_sync");
    T all[32];
    emu::warp_gather(&v, sizeof(T), all);
    const int l = (int)emu::lane();
    return (l & (width - 1)) + (int)delta < width ? all[l + (int)delta] : v;
}

// ---- atomics (relaxed, as on the device) -----------------------------------------------------------------
template <class T>
inline T atomicAdd(T* p, T v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
template <typename T>
inline T atomicOr(T* p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_RELAXED); }
inline float atomicAdd(float* p, float v) {
    float old = *p, nw;
    do { nw = old + v; } while (!__atomic_compare_exchange(p, &old, &nw, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return old;
}
template <class T>
inline T atomicMin(T* p, T v) {
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v < old && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
    return old;
}
template <class T>
inline T atomicMax(T* p, T v) {
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v > old && !__atomic_compare_exchange_n(p, &old, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
    return old;
}

// ---- integer and float intrinsics ------------------------------------------------------------------------
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline int __float_as_int(float f) { int u; std::memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline float __int_as_float(int u) { float f; std::memcpy(&f, &u, 4); return f; }
inline float rsqrtf(float x) { return 1.f / std::sqrt(x); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline size_t __cvta_generic_to_shared(const void* p) { return (size_t)p; }

// ---- the PTX wrappers of common.cuh (which it leaves out under HG_EMULATION) -------------------------------
namespace hg {

// cp.async.cg.shared.global [smem], [gmem], 16, srcBytes: 16 bytes, the first srcBytes from gmem, the rest zero.
inline void cp_async16(void* smem, const void* gmem, int src_bytes) { emu::cp_async(smem, gmem, src_bytes); }
inline void cp_async_commit() { emu::cp_async_commit(); }
// ld.global.nc.v4.u32: a 16-byte load; the address must be 16-byte aligned (as the GPU requires).
inline uint4 ld_nc_v4(const void* p) {
    if (((uintptr_t)p & 15) != 0) emu::fail("ld.global.nc.v4 address not 16-byte aligned");
    uint4 r;
    std::memcpy(&r, p, 16);
    return r;
}
template <int N>
inline void cp_async_wait() { emu::cp_async_wait(N); }

namespace emu_detail {
inline float bf16_bits_to_float(uint32_t h) { return __uint_as_float((h & 0xffffu) << 16); }

// ldmatrix.sync.aligned.m8n8.x4(.trans).shared.b16: lane 8i+j gives the address of row j of matrix i (16 bytes).
// Without .trans lane L receives, in register i, row L/4, columns 2(L%4) and 2(L%4)+1 of matrix i (lower
// column in the low half); with .trans it receives the same position of the transpose: rows 2(L%4) and
// 2(L%4)+1 of column L/4.
inline void ldmatrix(uint32_t r[4], const void* smem, bool trans) {
    emu::check_smem(smem, 16, 16, trans ? "ldmatrix.trans row address" : "ldmatrix row address");
    unsigned char row[16];
    std::memcpy(row, smem, 16);
    unsigned char all[32][16];
    emu::warp_gather(row, 16, all);
    const unsigned L = emu::lane();
    for (int i = 0; i < 4; ++i) {
        if (!trans) {
            std::memcpy(&r[i], all[8 * i + L / 4] + 4 * (L % 4), 4);
        } else {
            uint16_t lo, hi;
            std::memcpy(&lo, all[8 * i + 2 * (L % 4)] + 2 * (L / 4), 2);
            std::memcpy(&hi, all[8 * i + 2 * (L % 4) + 1] + 2 * (L / 4), 2);
            r[i] = (uint32_t)lo | ((uint32_t)hi << 16);
        }
    }
}
}  // namespace emu_detail

inline void ldmatrix_x4(uint32_t r[4], const void* smem) { emu_detail::ldmatrix(r, smem, false); }
inline void ldmatrix_x4_trans(uint32_t r[4], const void* smem) { emu_detail::ldmatrix(r, smem, true); }

// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32, PTX ISA fragment layout (g = lane/4, t = lane%4):
//   A 16x16: a[0] = A[g][2t, 2t+1], a[1] = A[g+8][2t, 2t+1], a[2] = A[g][2t+8, 2t+9], a[3] = A[g+8][2t+8, 2t+9]
//   B 16x8:  b0 = B[2t, 2t+1][g], b1 = B[2t+8, 2t+9][g]
//   C/D 16x8: d[0], d[1] = D[g][2t, 2t+1], d[2], d[3] = D[g+8][2t, 2t+1]
// (each 32-bit register holds two bf16, the lower index in the low half). Products of bf16 are exact in fp32;
// the 16 products of one output are summed in fp32 and then added to the accumulator.
inline void mma_bf16_16816(float d[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
    struct Frag { uint32_t a[4], b[2]; };
    Frag mine{{a[0], a[1], a[2], a[3]}, {b0, b1}};
    Frag all[32];
    emu::warp_gather(&mine, sizeof(Frag), all);
    const unsigned L = emu::lane(), g = L >> 2, t = L & 3;
    auto A = [&](int r, int c) {
        const uint32_t w = all[(r % 8) * 4 + (c % 8) / 2].a[(r >= 8 ? 1 : 0) + (c >= 8 ? 2 : 0)];
        return emu_detail::bf16_bits_to_float((c & 1) ? w >> 16 : w);
    };
    auto B = [&](int k, int n) {
        const uint32_t w = all[n * 4 + (k % 8) / 2].b[k >= 8 ? 1 : 0];
        return emu_detail::bf16_bits_to_float((k & 1) ? w >> 16 : w);
    };
    for (int e = 0; e < 4; ++e) {
        const int row = (int)g + (e >> 1) * 8, col = 2 * (int)t + (e & 1);
        float s = 0.f;
        for (int k = 0; k < 16; ++k) s += A(row, k) * B(k, col);
        d[e] += s;
    }
}

}  // namespace hg
