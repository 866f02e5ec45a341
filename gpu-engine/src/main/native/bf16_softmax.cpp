// The online softmax step of CPU attention over one bf16 KV tile, fused for AVX-512: per row, the largest visible
// score, then exp(scale·s - max) over the visible scores, their sum, and the probabilities written straight as the
// bf16 pairs the P·V product reads (masked columns as zeros). The Java loop it replaces made five passes over the
// scores (zero, scale, max, exp, pack); this makes two. The running max, sum and output rescaling stay in Java
// (CpuAttention), between the two calls.
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

// e^x for x ≤ 0: 2^n · e^r with n = round(x·log2 e) and r = x - n·ln 2 (ln 2 in two parts, Cody-Waite), e^r by
// Cephes expf's degree-6 polynomial (about 1 ulp); x is clamped at -87, below which the result (< 2^-125) is as good
// as the zero it stands for next to a row maximum of e^0 = 1.
HG_TARGET inline __m512 exp512(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

// Lanes c..c+15 that are visible columns [lo, hi).
HG_TARGET inline __mmask16 live(int c, int lo, int hi) {
    __m512i j = _mm512_add_epi32(_mm512_set1_epi32(c), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    return _mm512_cmpge_epi32_mask(j, _mm512_set1_epi32(lo)) & _mm512_cmplt_epi32_mask(j, _mm512_set1_epi32(hi));
}

}  // namespace

// maxOut[i] = scale · max of row i's visible scores s[i][shift, shift + visible[i]) (-inf when none); rows lds apart.
HG_EXPORT HG_TARGET void Java_io_hydragen_backend_cpu_Bf16Native_tileMax(void*, void*, jlong s, jint lds, jint m, jint shift, jlong visible,
                                                                         float scale, jlong maxOut) {
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
        out[i] = vis[i] > 0 ? v * scale : -__builtin_inff();
    }
}

// Row i's probabilities exp(scale·s - next[i]) over its visible columns [shift, shift + visible[i]), zeros elsewhere
// in [0, 2·pairs), written as bf16 (round to nearest even) into p, rows 2·pairs bf16 apart, with their sum in sumOut[i].
HG_EXPORT HG_TARGET void Java_io_hydragen_backend_cpu_Bf16Native_expPack(void*, void*, jlong s, jint lds, jint m, jint shift, jlong visible,
                                                                         float scale, jlong next, jlong sumOut, jlong p, jint pairs) {
    const float* sf = reinterpret_cast<const float*>(s);
    const int32_t* vis = reinterpret_cast<const int32_t*>(visible);
    const float* nx = reinterpret_cast<const float*>(next);
    float* sums = reinterpret_cast<float*>(sumOut);
    uint16_t* pb = reinterpret_cast<uint16_t*>(p);
    int width = 2 * pairs;
    const __m512 sc = _mm512_set1_ps(scale);
    for (int i = 0; i < m; i++) {
        const float* row = sf + (long)i * lds;
        uint16_t* out = pb + (long)i * width;
        int hi = shift + vis[i];
        __m512 sub = _mm512_set1_ps(vis[i] > 0 ? nx[i] : 0.0f), sum = _mm512_setzero_ps();
        for (int c = 0; c < width; c += 32) {
            __mmask16 k0 = live(c, shift, hi), k1 = live(c + 16, shift, hi);
            __m512 e0 = _mm512_maskz_mov_ps(k0, exp512(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(k0, row + c), sc, sub)));
            __m512 e1 = _mm512_maskz_mov_ps(k1, exp512(_mm512_fmsub_ps(_mm512_maskz_loadu_ps(k1, row + c + 16), sc, sub)));
            sum = _mm512_add_ps(sum, _mm512_add_ps(e0, e1));
            __m512i b = (__m512i)_mm512_cvtne2ps_pbh(e1, e0);
            int n = width - c < 32 ? width - c : 32;
            _mm512_mask_storeu_epi16(out + c, n >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << n) - 1), b);
        }
        sums[i] = _mm512_reduce_add_ps(sum);
    }
}
