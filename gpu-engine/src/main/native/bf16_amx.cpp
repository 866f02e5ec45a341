// AMX-BF16 tile products for attention over the CPU backend's bf16 KV cache (Sapphire Rapids and later): TDPBF16PS
// multiplies a 16 × 32 bf16 tile by a 32 × 16 one into 16 × 16 fp32 in one instruction, about ten times the rate of
// vdpbf16ps. The KV layouts (Bf16KvLayout in Java) are already the tiles' B operand: keys are blocks of 16 slots with
// each dim pair of the 16 slots in 64 bytes, values blocks of 16 dims with each slot pair of the 16 dims in 64 bytes,
// so a B tile is 16 consecutive 64-byte rows. The A operand is the queries (scores) or probabilities (values) as bf16
// rows, from bf16_gemm.cpp's packRows.
//
// Every call configures the tiles, works on 32 rows × 32 columns at a time (4 accumulators, 2 A and 2 B tiles: the
// 8 tile registers), and releases them, so no tile state outlives a JNI call on a Java thread. Rows are processed in
// groups of 32: the caller's buffers hold that many rows (rows past its count are ignored garbage).
#include <cstdint>
#include <cstring>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HG_AMX __attribute__((target("amx-tile,amx-bf16")))
#define HG_EXPORT extern "C" __attribute__((visibility("default")))

typedef int32_t jint;
typedef int64_t jlong;

namespace {

struct TileConfig {
    uint8_t palette, startRow;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
};

// All 8 tiles 16 rows × 64 bytes.
HG_AMX void configure() {
    TileConfig c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int t = 0; t < 8; t++) {
        c.colsb[t] = 64;
        c.rows[t] = 16;
    }
    _tile_loadconfig(&c);
}

}  // namespace

// 1 when this CPU has AMX-TILE and AMX-BF16 and Linux granted this process the tile data state (arch_prctl
// ARCH_REQ_XCOMP_PERM, once per process), else 0.
HG_EXPORT jint Java_io_hydragen_backend_cpu_Bf16Native_amxInit(void*, void*) {
    unsigned a, b, c, d;
    __asm__ __volatile__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    bool tile = (d >> 24) & 1, bf16 = (d >> 22) & 1;
    if (!tile || !bf16) return 0;
    const long ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0 ? 1 : 0;
}

// S[m × ·] = Q · Kᵀ for key slots [x0, x1) of one head, x0 a multiple of 16: column j of S is slot x0 + j, written
// in whole blocks of 16 (up to x1 rounded up to 16). q: bf16 rows of d values, qStride bytes apart; k: the head's
// key region; m a multiple of 32, d of 32.
// qLo: the queries' low parts in the same layout (a = hi + lo, see packRows), or 0: their products go into the same
// accumulators after the high parts'.
HG_EXPORT HG_AMX void Java_io_hydragen_backend_cpu_Bf16Native_amxScores(void*, void*, jlong q, jlong qLo, jint qStride, jint m, jint d,
                                                                        jlong k, jint x0, jint x1, jlong s, jint lds) {
    configure();
    const char* qb = reinterpret_cast<const char*>(q);
    const char* ql = reinterpret_cast<const char*>(qLo);
    const char* kb = reinterpret_cast<const char*>(k);
    float* sf = reinterpret_cast<float*>(s);
    long block = (long)d * 2 * 16;   // bytes of one 16-slot key block
    long ldsb = (long)lds * 4;
    int b0 = x0 / 16, b1 = (x1 + 15) / 16;
    for (int i = 0; i < m; i += 32) {
        for (int b = b0; b < b1; b += 2) {
            bool two = b + 1 < b1;
            _tile_zero(0);
            _tile_zero(1);
            _tile_zero(2);
            _tile_zero(3);
            for (int c = 0; c < d; c += 32) {   // 32 dims = 16 pairs: 16 rows of 64 bytes in the key block
                _tile_loadd(6, kb + b * block + c * 32, 64);
                if (two) _tile_loadd(7, kb + (b + 1) * block + c * 32, 64);
                for (const char* part = qb; part; part = part == qb ? ql : nullptr) {   // the high parts, then the low
                    const char* qi = part + (long)i * qStride;
                    _tile_loadd(4, qi + c * 2, qStride);
                    _tile_loadd(5, qi + 16L * qStride + c * 2, qStride);
                    _tile_dpbf16ps(0, 4, 6);
                    _tile_dpbf16ps(1, 5, 6);
                    if (two) {
                        _tile_dpbf16ps(2, 4, 7);
                        _tile_dpbf16ps(3, 5, 7);
                    }
                }
            }
            float* out = sf + (long)i * lds + (b - b0) * 16;
            _tile_stored(0, out, ldsb);
            _tile_stored(1, out + 16L * lds, ldsb);
            if (two) {
                _tile_stored(2, out + 16, ldsb);
                _tile_stored(3, out + 16L * lds + 16, ldsb);
            }
        }
    }
    _tile_release();
}

// O[m × d] += P · V over key slots [2·pair0, 2·pair0 + 32·chunks) of one head: p bf16 rows whose first pair is slot
// 2·pair0, pStride bytes apart; v the head's value region, blocks of 16 dims slotPairs pairs long. m a multiple of
// 32, d of 32. pLo: P's low parts in the same layout, or 0.
HG_EXPORT HG_AMX void Java_io_hydragen_backend_cpu_Bf16Native_amxValues(void*, void*, jlong p, jlong pLo, jint pStride, jint m, jint chunks,
                                                                        jlong v, jint slotPairs, jint pair0, jint d, jlong o, jint ldo) {
    configure();
    const char* pb = reinterpret_cast<const char*>(p);
    const char* pl = reinterpret_cast<const char*>(pLo);
    const char* vb = reinterpret_cast<const char*>(v);
    float* of = reinterpret_cast<float*>(o);
    long ldob = (long)ldo * 4;
    for (int i = 0; i < m; i += 32) {
        for (int b = 0; b < d / 16; b += 2) {
            float* out = of + (long)i * ldo + b * 16;
            _tile_loadd(0, out, ldob);
            _tile_loadd(1, out + 16L * ldo, ldob);
            _tile_loadd(2, out + 16, ldob);
            _tile_loadd(3, out + 16L * ldo + 16, ldob);
            const char* v0 = vb + ((long)b * slotPairs + pair0) * 64;
            const char* v1 = vb + ((long)(b + 1) * slotPairs + pair0) * 64;
            for (int c = 0; c < chunks; c++) {   // 32 slots = 16 pairs
                _tile_loadd(6, v0 + c * 1024L, 64);
                _tile_loadd(7, v1 + c * 1024L, 64);
                for (const char* part = pb; part; part = part == pb ? pl : nullptr) {   // the high parts, then the low
                    const char* pi = part + (long)i * pStride;
                    _tile_loadd(4, pi + c * 64, pStride);
                    _tile_loadd(5, pi + 16L * pStride + c * 64, pStride);
                    _tile_dpbf16ps(0, 4, 6);
                    _tile_dpbf16ps(1, 5, 6);
                    _tile_dpbf16ps(2, 4, 7);
                    _tile_dpbf16ps(3, 5, 7);
                }
            }
            _tile_stored(0, out, ldob);
            _tile_stored(1, out + 16L * ldo, ldob);
            _tile_stored(2, out + 16, ldob);
            _tile_stored(3, out + 16L * ldo + 16, ldob);
        }
    }
    _tile_release();
}

// The weight product on AMX tiles: C[0:m, j0:j1) = A · W[j0:j1)ᵀ (overwritten), A packed by packRows [m × k/2 pairs],
// W a Bf16Matrix's packed data (blocks of 16 output columns, each input pair of the 16 in 64 bytes: a B tile is 16
// consecutive rows of a block). k a multiple of 32, j0 and j1 of 16 (MatMul sends a column tail to the vdpbf16ps
// kernel); every row runs on the tiles, the last group of fewer than 32 through a local buffer (A must have room for
// m rounded up to 32 rows), so a row's result does not depend on how many rows share the call. Column pairs of blocks
// outside, rows inside, so a pair's weights (32 × k bf16) stay in L1/L2 while every row group passes over them.
// aLo: A's low parts in the same layout (a = hi + lo, see packRows), or 0: two tile products into the same accumulators.
HG_EXPORT HG_AMX void Java_io_hydragen_backend_cpu_Bf16Native_amxGemm(void*, void*, jlong a, jlong aLo, jint m, jint k, jlong w, jint j0,
                                                                      jint j1, jlong c, jint ldc) {
    configure();
    const char* ab = reinterpret_cast<const char*>(a);
    const char* al = reinterpret_cast<const char*>(aLo);
    const char* wb = reinterpret_cast<const char*>(w);
    float* cf = reinterpret_cast<float*>(c);
    long astride = (long)k * 2, block = (long)k * 32;
    for (int j = j0; j < j1; j += 32) {
        bool two = j + 16 < j1;
        const char* w0 = wb + (long)(j / 16) * block;
        for (int i = 0; i < m; i += 32) {
            _tile_zero(0);
            _tile_zero(1);
            _tile_zero(2);
            _tile_zero(3);
            for (int kk = 0; kk < k; kk += 32) {
                _tile_loadd(6, w0 + kk * 32, 64);
                if (two) _tile_loadd(7, w0 + block + kk * 32, 64);
                for (const char* part = ab; part; part = part == ab ? al : nullptr) {   // the high parts, then the low
                    const char* ai = part + (long)i * astride;
                    _tile_loadd(4, ai + kk * 2, astride);
                    _tile_loadd(5, ai + 16 * astride + kk * 2, astride);
                    _tile_dpbf16ps(0, 4, 6);
                    _tile_dpbf16ps(1, 5, 6);
                    if (two) {
                        _tile_dpbf16ps(2, 4, 7);
                        _tile_dpbf16ps(3, 5, 7);
                    }
                }
            }
            bool whole = i + 32 <= m;
            alignas(64) float part[32 * 32];
            float* out = whole ? cf + (long)i * ldc + j : part;
            long ld = whole ? ldc : 32, ldb = ld * 4;
            _tile_stored(0, out, ldb);
            _tile_stored(1, out + 16 * ld, ldb);
            if (two) {
                _tile_stored(2, out + 16, ldb);
                _tile_stored(3, out + 16 * ld + 16, ldb);
            }
            if (!whole) {
                int cols = two ? 32 : 16;
                for (int r = 0; r < m - i; r++) memcpy(cf + (long)(i + r) * ldc + j, part + r * 32, cols * sizeof(float));
            }
        }
    }
    _tile_release();
}
