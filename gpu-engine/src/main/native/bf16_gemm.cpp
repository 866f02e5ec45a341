// BF16 matrix product for the CPU backend: C[m×n] = A[m×k] · Wᵀ with W [n×k] stored as bf16 and packed, fp32
// accumulation through AVX512_BF16's vdpbf16ps (32 bf16 multiply-adds per instruction, twice the fp32 FMA rate, and
// half the bytes of fp32 weights read per step), and the same product for attention over a bf16 KV cache (scores
// Q·Kᵀ against keys laid out as a weight matrix, and P·V accumulated over value pairs). Called through JNI by io.hydragen.backend.cpu.Bf16Native; the
// kernels carry a target attribute, so the library loads on any x86-64 and Java calls them only after supported().
//
// Packed weight layout (built in Java, Bf16Matrix): blocks of 16 output rows; in a block, for each pair of inputs
// p = kk/2, the 16 rows' two bf16 values side by side: P[((j/16)·kp + p)·32 + (j%16)·2 + (kk&1)], kp = ceil(k/2),
// zero padded. One 64-byte load then holds 16 outputs × 2 inputs, exactly vdpbf16ps's operand, and a broadcast pair of
// activations is the other: no horizontal sums.
//
// No jni.h: JNI's types on x86-64 are plain integers and JNICALL is empty, so the signatures are written out and the
// library builds wherever g++ does.
#include <cstdint>
// GCC 12's intrinsics headers give a false "may be used uninitialized" in the widening casts (see bf16_softmax.cpp)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#define HG_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define HG_EXPORT extern "C" __attribute__((visibility("default")))

typedef int32_t jint;
typedef int64_t jlong;

namespace {

// Rows of A per micro-tile and 16-column blocks per micro-tile: 6 × 4 accumulators + 4 weight registers of 32.
constexpr int MR = 6;
constexpr int NB = 4;

// One micro-tile: R rows of A × B blocks of 16 columns, over kp pairs of the reduction; a block's pairs lie wstride
// pairs apart (kp for a weight matrix; a KV segment's whole slot count for a value range, whose kp is shorter).
// With acc set, the products are added to C (attention's P·V accumulates over key tiles) instead of overwriting it.
// With SPLIT, alo holds each activation's low part (a = hi + lo, see packRows): its products go into the same
// accumulators right after the high part's, so a row's sums do not depend on which rows share the call.
template <int R, int B, bool SPLIT>
HG_TARGET inline void tile(const uint32_t* a, const uint32_t* alo, long lda, const uint16_t* p, long kp, long wstride, float* c, long ldc,
                           int cols, bool add) {
    __m512 acc[R][B];
    for (int r = 0; r < R; r++) {
        for (int b = 0; b < B; b++) {
            int n = cols - b * 16;
            __mmask16 k = n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
            acc[r][b] = add ? _mm512_maskz_loadu_ps(k, c + r * ldc + b * 16) : _mm512_setzero_ps();
        }
    }
    for (long q = 0; q < kp; q++) {
        __m512bh w[B];
        for (int b = 0; b < B; b++) w[b] = (__m512bh)_mm512_loadu_si512(p + (b * wstride + q) * 32);
        for (int r = 0; r < R; r++) {
            __m512bh x = (__m512bh)_mm512_set1_epi32((int)a[r * lda + q]);
            for (int b = 0; b < B; b++) acc[r][b] = _mm512_dpbf16_ps(acc[r][b], x, w[b]);
            if (SPLIT) {
                __m512bh xl = (__m512bh)_mm512_set1_epi32((int)alo[r * lda + q]);
                for (int b = 0; b < B; b++) acc[r][b] = _mm512_dpbf16_ps(acc[r][b], xl, w[b]);
            }
        }
    }
    for (int r = 0; r < R; r++) {
        for (int b = 0; b < B; b++) {
            int n = cols - b * 16;
            if (n >= 16) _mm512_storeu_ps(c + r * ldc + b * 16, acc[r][b]);
            else if (n > 0) _mm512_mask_storeu_ps(c + r * ldc + b * 16, (__mmask16)((1u << n) - 1), acc[r][b]);
        }
    }
}

template <int B, bool SPLIT>
HG_TARGET void rows(const uint32_t* a, const uint32_t* alo, long lda, int m, const uint16_t* p, long kp, long wstride, float* c, long ldc,
                    int cols, bool add) {
    int i = 0;
    for (; i + MR <= m; i += MR) tile<MR, B, SPLIT>(a + i * lda, alo + i * lda, lda, p, kp, wstride, c + i * ldc, ldc, cols, add);
    const uint32_t* ar = a + i * lda;
    const uint32_t* alr = alo + i * lda;
    float* cr = c + i * ldc;
    switch (m - i) {
        case 5: tile<5, B, SPLIT>(ar, alr, lda, p, kp, wstride, cr, ldc, cols, add); break;
        case 4: tile<4, B, SPLIT>(ar, alr, lda, p, kp, wstride, cr, ldc, cols, add); break;
        case 3: tile<3, B, SPLIT>(ar, alr, lda, p, kp, wstride, cr, ldc, cols, add); break;
        case 2: tile<2, B, SPLIT>(ar, alr, lda, p, kp, wstride, cr, ldc, cols, add); break;
        case 1: tile<1, B, SPLIT>(ar, alr, lda, p, kp, wstride, cr, ldc, cols, add); break;
        default: break;
    }
}

template <int B>
HG_TARGET void rows(const uint32_t* a, const uint32_t* alo, long lda, int m, const uint16_t* p, long kp, long wstride, float* c, long ldc,
                    int cols, bool add) {
    if (alo) rows<B, true>(a, alo, lda, m, p, kp, wstride, c, ldc, cols, add);
    else rows<B, false>(a, a, lda, m, p, kp, wstride, c, ldc, cols, add);
}

// C[:, j0:j1) (=, or += with add) A[m × kp pairs, row stride lda] · W[j0:j1)ᵀ (A = hi + lo when alo is not null);
// W's 16-column blocks are wstride pairs
// long and w points at pair 0 of the range in block 0. Column groups of NB blocks outside, rows inside: a group's
// weights stay in L1/L2 while every row of A passes over them.
HG_TARGET void product(const uint32_t* a, const uint32_t* alo, long lda, int m, long kp, const uint16_t* w, long wstride, int j0, int j1, float* c,
                       long ldc, bool add) {
    for (int j = j0; j < j1; j += NB * 16) {
        int cols = j1 - j < NB * 16 ? j1 - j : NB * 16;
        const uint16_t* p = w + (long)(j / 16) * wstride * 32;
        float* cj = c + j;
        switch ((cols + 15) / 16) {
            case 4: rows<4>(a, alo, lda, m, p, kp, wstride, cj, ldc, cols, add); break;
            case 3: rows<3>(a, alo, lda, m, p, kp, wstride, cj, ldc, cols, add); break;
            case 2: rows<2>(a, alo, lda, m, p, kp, wstride, cj, ldc, cols, add); break;
            default: rows<1>(a, alo, lda, m, p, kp, wstride, cj, ldc, cols, add); break;
        }
    }
}

// The first and last 16 bf16 values of v widened to fp32 (a shift: exact).
HG_TARGET inline __m512 widenLow(__m512i v) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(v)), 16));
}

HG_TARGET inline __m512 widenHigh(__m512i v) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(v, 1)), 16));
}

}  // namespace

// 1 when this CPU runs the kernels (AVX-512 F/BW/VL and BF16), else 0.
HG_EXPORT jint Java_io_hydragen_backend_cpu_Bf16Native_supported(void*, void*) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
           && __builtin_cpu_supports("avx512bf16");
}

// dst [m × kp] pairs of bf16 (round to nearest even, as the weights) from src [m × k] fp32 with row stride lda;
// an odd k's last pair gets a zero. With dstLo (not 0), the same layout there gets each value's low part: the split
// a = hi + lo, hi = bf16(a), lo = bf16(a - hi) (a - hi is exact in fp32), so hi·w + lo·w carries a with about 16
// significant bits instead of 8.
HG_EXPORT HG_TARGET void Java_io_hydragen_backend_cpu_Bf16Native_packRows(void*, void*, jlong src, jint lda, jint m, jint k, jlong dst,
                                                                          jlong dstLo) {
    const float* s = reinterpret_cast<const float*>(src);
    uint16_t* d = reinterpret_cast<uint16_t*>(dst);
    uint16_t* dl = reinterpret_cast<uint16_t*>(dstLo);
    long kp = (k + 1) / 2, stride = 2 * kp;
    for (long i = 0; i < m; i++) {
        const float* row = s + i * lda;
        uint16_t* out = d + i * stride;
        for (long kk = 0; kk < stride; kk += 32) {
            int left = (int)(k - kk);
            __mmask16 lo = left >= 16 ? 0xffff : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
            __mmask16 hi = left >= 32 ? 0xffff : left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0;
            __m512 x0 = _mm512_maskz_loadu_ps(lo, row + kk);
            __m512 x1 = _mm512_maskz_loadu_ps(hi, row + kk + 16);
            __m512i v = (__m512i)_mm512_cvtne2ps_pbh(x1, x0);
            long n = stride - kk < 32 ? stride - kk : 32;
            __mmask32 keep = n >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << n) - 1);
            _mm512_mask_storeu_epi16(out + kk, keep, v);
            if (dl) {
                __m512 h0 = widenLow(v), h1 = widenHigh(v);
                __m512i lo = (__m512i)_mm512_cvtne2ps_pbh(_mm512_sub_ps(x1, h1), _mm512_sub_ps(x0, h0));
                _mm512_mask_storeu_epi16(dl + i * stride + kk, keep, lo);
            }
        }
    }
}

// C[:, j0:j1) = A · W[j0:j1)ᵀ (overwritten) for A packed by packRows [m × kp] (with its low parts at aLo, or 0)
// and W packed [ceil(n/16) blocks]; j0 must be a multiple of 16.
HG_EXPORT HG_TARGET void Java_io_hydragen_backend_cpu_Bf16Native_gemm(void*, void*, jlong aPacked, jlong aLo, jint m, jint k, jlong wPacked,
                                                                      jint j0, jint j1, jlong c, jint ldc) {
    long kp = (k + 1) / 2;
    product(reinterpret_cast<const uint32_t*>(aPacked), reinterpret_cast<const uint32_t*>(aLo), kp, m, kp, reinterpret_cast<const uint16_t*>(wPacked), kp, j0, j1,
            reinterpret_cast<float*>(c), ldc, false);
}

// Attention's O[m × d] += P · V over the key slots [2·pair0, 2·pair0 + 2·pairs) of one KV head, for P packed by
// packRows [m × lda pairs] and V in the bf16 value layout (Bf16KvLayout: blocks of 16 dims, each slotPairs pairs of
// slots long, both slots of a pair side by side): the key pairs are the reduction, the head's dims the columns.
// pLo: P's low parts in the same layout, or 0.
HG_EXPORT HG_TARGET void Java_io_hydragen_backend_cpu_Bf16Native_accumulateValues(void*, void*, jlong pPacked, jlong pLo, jint lda, jint m,
                                                                                  jint pairs,
                                                                                  jlong v, jint slotPairs, jint pair0, jint d,
                                                                                  jlong o, jint ldo) {
    const uint16_t* w = reinterpret_cast<const uint16_t*>(v) + (long)pair0 * 32;
    product(reinterpret_cast<const uint32_t*>(pPacked), reinterpret_cast<const uint32_t*>(pLo), lda, m, pairs, w, slotPairs, 0, d, reinterpret_cast<float*>(o), ldo, true);
}
