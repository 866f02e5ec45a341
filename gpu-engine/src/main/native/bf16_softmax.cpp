// The online softmax step of CPU attention over one bf16 KV tile, fused for AVX-512: per row, the largest visible
// score, then the probabilities over the visible scores, their sum, and the probabilities written straight as the
// bf16 pairs the P·V product reads (masked columns as zeros). The Java loop it replaces made five passes over the
// scores (zero, scale, max, exp, pack); this makes two. The running max, sum and output rescaling stay in Java
// (CpuAttention), between the two calls.
//
// Base 2, with an integer running max: with t = s·scale·log2(e), a probability is 2^(t - k) for the row's running
// exponent k, computed as 2^(n - k)·2^(t - n), n = round(t), so its bf16 rounding does not depend on k (scaling by a
// power of two commutes with rounding) and the rescaling when k grows is exact. Rounding P relative to a running max
// in natural units would make it depend on which keys share a tile, i.e. on the Hydragen split and so on batch mates;
// this way a row's probabilities are the same bf16 values however its keys are split.
#include <cstdint>
// GCC 12 warns that its own _mm512_undefined_ps() "may be used uninitialized" inside max/scalef/reduce (a false
// positive of the intrinsics' headers); the build treats warnings as errors.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#define HG_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define HG_EXPORT extern "C" __attribute__((visibility("default")))

typedef int32_t jint;
typedef int64_t jlong;

namespace {

// 2^(t - k) as 2^(n - k) · e^((t - n)·ln 2), n = round(t) (t - n is exact), e^r by Cephes expf's degree-6 polynomial
// (about 1 ulp); the mantissa depends on t alone. n - k below -126 gives a denormal or zero, as good as the zero it
// stands for next to the row's largest probability (about 1).
HG_TARGET inline __m512 exp2Shifted(__m512 t, __m512 k) {
    __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_mul_ps(_mm512_sub_ps(t, n), _mm512_set1_ps(0.693147180559945309f));
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, _mm512_sub_ps(n, k));
}

// Lanes c..c+15 that are visible columns [lo, hi).
HG_TARGET inline __mmask16 live(int c, int lo, int hi) {
    __m512i j = _mm512_add_epi32(_mm512_set1_epi32(c), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    return _mm512_cmpge_epi32_mask(j, _mm512_set1_epi32(lo)) & _mm512_cmplt_epi32_mask(j, _mm512_set1_epi32(hi));
}

}  // namespace

// maxOut[i] = toLog2 · the largest of row i's visible scores s[i][shift, shift + visible[i]) (-inf when none), rows lds
// apart; toLog2 = scale·log2(e), so this is the largest t = toLog2·s (a positive factor commutes with the max).
HG_EXPORT HG_TARGET void Java_io_hydragen_backend_cpu_Bf16Native_tileMax(void*, void*, jlong s, jint lds, jint m, jint shift, jlong visible,
                                                                         float toLog2, jlong maxOut) {
    const float* sf = reinterpret_cast<const float*>(s);
    const int32_t* vis = reinterpret_cast<const int32_t*>(visible);
    float* out = reinterpret_cast<float*>(maxOut);
    const __m512 ninf = _mm512_set1_ps(-__builtin_inff());
    for (int i = 0; i < m; i++) {
        const float* row = sf + (long)i * lds;
        int hi = shift + vis[i];
        __m512 mx = ninf;
        for (int c = shift & ~15; c < hi; c += 16) mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(ninf, live(c, shift, hi), row + c));
        float v = _mm512_reduce_max_ps(mx);
        out[i] = vis[i] > 0 ? v * toLog2 : -__builtin_inff();
    }
}

// Row i's probabilities 2^(toLog2·s - k[i]) over its visible columns [shift, shift + visible[i]) (k[i] an integer, the
// row's running exponent), zeros elsewhere in [0, 2·pairs), written as bf16 (round to nearest even) into p, rows
// 2·pairs bf16 apart, with the sum of the bf16 values written in sumOut[i]. With pLo (not 0) each probability's low
// part bf16(e - hi) goes there in the same layout and the sum is of hi + lo: P·V then multiplies e with about 16
// significant bits. Scaling by 2^(n - k) commutes with this split too, so it stays independent of the row's tiling.
HG_EXPORT HG_TARGET void Java_io_hydragen_backend_cpu_Bf16Native_expPack(void*, void*, jlong s, jint lds, jint m, jint shift, jlong visible,
                                                                         float toLog2, jlong next, jlong sumOut, jlong p, jlong pLo,
                                                                         jint pairs) {
    const float* sf = reinterpret_cast<const float*>(s);
    const int32_t* vis = reinterpret_cast<const int32_t*>(visible);
    const float* nx = reinterpret_cast<const float*>(next);
    float* sums = reinterpret_cast<float*>(sumOut);
    uint16_t* pb = reinterpret_cast<uint16_t*>(p);
    uint16_t* pl = reinterpret_cast<uint16_t*>(pLo);
    int width = 2 * pairs;
    const __m512 cv = _mm512_set1_ps(toLog2);
    for (int i = 0; i < m; i++) {
        const float* row = sf + (long)i * lds;
        uint16_t* out = pb + (long)i * width;
        int hi = shift + vis[i];
        __m512 k = _mm512_set1_ps(vis[i] > 0 ? nx[i] : 0.0f), sum = _mm512_setzero_ps();
        for (int c = 0; c < width; c += 32) {
            __mmask16 k0 = live(c, shift, hi), k1 = live(c + 16, shift, hi);
            __m512 e0 = _mm512_maskz_mov_ps(k0, exp2Shifted(_mm512_mul_ps(_mm512_maskz_loadu_ps(k0, row + c), cv), k));
            __m512 e1 = _mm512_maskz_mov_ps(k1, exp2Shifted(_mm512_mul_ps(_mm512_maskz_loadu_ps(k1, row + c + 16), cv), k));
            __m512bh b = _mm512_cvtne2ps_pbh(e1, e0);
            // the sum of what P·V multiplies: the bf16 values, widened back (a shift), so numerator and denominator agree
            __m512i bi = (__m512i)b;
            __m512 w0 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(bi)), 16));
            __m512 w1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(bi, 1)), 16));
            sum = _mm512_add_ps(sum, _mm512_add_ps(w0, w1));
            int n = width - c < 32 ? width - c : 32;
            __mmask32 keep = n >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << n) - 1);
            _mm512_mask_storeu_epi16(out + c, keep, bi);
            if (pl) {
                __m512i li = (__m512i)_mm512_cvtne2ps_pbh(_mm512_sub_ps(e1, w1), _mm512_sub_ps(e0, w0));
                __m512 l0 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(li)), 16));
                __m512 l1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(li, 1)), 16));
                sum = _mm512_add_ps(sum, _mm512_add_ps(l0, l1));
                _mm512_mask_storeu_epi16(pl + (long)i * width + c, keep, li);
            }
        }
        sums[i] = _mm512_reduce_add_ps(sum);
    }
}
