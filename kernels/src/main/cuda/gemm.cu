// Tensor-core GEMM for every linear layer: C[M,N] (+)= A[M,K] * W[N,K]^T (+ bias), A and W bf16,
// fp32 accumulation and fp32 output. W is row-major [out, in] exactly as Hugging Face stores it, so
// both operands are K-contiguous: A fragments come from ldmatrix on row-major A, and the "col" B
// operand of mma.sync is W's rows, loaded by ldmatrix without a transpose.
//
// Portable sm_80 path (mma.sync.m16n8k16 + cp.async, 3-stage pipeline); it also runs on Hopper.
// TODO(sm_90a): a wgmma + TMA path (warpgroup MMA from shared-memory descriptors, bulk tensor copies
// completing on an mbarrier) is what reaches cuBLAS rates on H100 from M = 256 up. It is not written
// here because it could not be run and checked on a GPU in the session that wrote this file; the host
// picks kernels per device, so adding it later needs only a new entry and a GemmPlan rule.
#include "common.cuh"

using namespace hg;

namespace {

constexpr int BK = 32;
// Rows of 40 bf16 = 80 bytes: the eight 16-byte row segments one ldmatrix phase reads land in
// eight distinct bank groups (80/16 = 5 is odd), so the loads are free of bank conflicts.
constexpr int PITCH = BK + 8;
constexpr int STAGES = 3;

template <int BM, int BN, int WM, int WN>
__device__ __forceinline__ void gemm_tile(const bf16* __restrict__ A, const bf16* __restrict__ W, float* __restrict__ C,
                                          const float* __restrict__ bias, float* __restrict__ ws, int M, int N, int K,
                                          int ldc, int kChunk, int accumulate) {
    constexpr int THREADS = WM * WN * 32;
    constexpr int WTM = BM / WM, WTN = BN / WN;
    constexpr int MT = WTM / 16, NT = WTN / 8;
    static_assert(WTM % 16 == 0 && WTN % 16 == 0, "warp tile must be whole 16x16 fragments");
    extern __shared__ __align__(16) unsigned char smem_raw[];
    bf16* sA = reinterpret_cast<bf16*>(smem_raw);  // [STAGES][BM][PITCH]
    bf16* sB = sA + STAGES * BM * PITCH;           // [STAGES][BN][PITCH]

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int wm = warp / WN, wn = warp % WN;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int kBegin = blockIdx.z * kChunk;
    const int kEnd = min(K, kBegin + kChunk);
    const int kTiles = kEnd > kBegin ? (kEnd - kBegin + BK - 1) / BK : 0;

    auto load_stage = [&](int stage, int k0) {
        bf16* a = sA + stage * BM * PITCH;
        bf16* b = sB + stage * BN * PITCH;
        constexpr int CPR = BK / 8;  // 16-byte chunks per row
#pragma unroll
        for (int c = tid; c < BM * CPR; c += THREADS) {
            const int r = c / CPR, kc = (c % CPR) * 8;
            const int gr = m0 + r, gk = k0 + kc;
            const bool ok = gr < M && gk < kEnd;  // K % 8 == 0, so a chunk is wholly in or out
            cp_async16(a + r * PITCH + kc, ok ? A + (long long)gr * K + gk : A, ok ? 16 : 0);
        }
#pragma unroll
        for (int c = tid; c < BN * CPR; c += THREADS) {
            const int r = c / CPR, kc = (c % CPR) * 8;
            const int gr = n0 + r, gk = k0 + kc;
            const bool ok = gr < N && gk < kEnd;
            cp_async16(b + r * PITCH + kc, ok ? W + (long long)gr * K + gk : W, ok ? 16 : 0);
        }
    };

    float acc[MT][NT][4];
#pragma unroll
    for (int i = 0; i < MT; ++i)
#pragma unroll
        for (int j = 0; j < NT; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) acc[i][j][e] = 0.f;

#pragma unroll
    for (int s = 0; s < STAGES - 1; ++s) {
        if (s < kTiles) load_stage(s, kBegin + s * BK);
        cp_async_commit();
    }

    for (int kt = 0; kt < kTiles; ++kt) {
        // One commit per iteration (possibly empty) keeps "tile kt is group kt" true, so waiting until at
        // most STAGES-2 groups are pending means tile kt has landed.
        cp_async_wait<STAGES - 2>();
        __syncthreads();  // tile kt visible to all; everyone is done with the stage refilled below
        const int nk = kt + STAGES - 1;
        if (nk < kTiles) load_stage(nk % STAGES, kBegin + nk * BK);
        cp_async_commit();

        const bf16* a = sA + (kt % STAGES) * BM * PITCH;
        const bf16* b = sB + (kt % STAGES) * BN * PITCH;
#pragma unroll
        for (int kk = 0; kk < BK / 16; ++kk) {
            uint32_t af[MT][4];
#pragma unroll
            for (int mi = 0; mi < MT; ++mi)
                ldmatrix_x4(af[mi], a + (wm * WTM + mi * 16 + (lane & 15)) * PITCH + kk * 16 + (lane >> 4) * 8);
            uint32_t bfr[NT][2];
#pragma unroll
            for (int nj = 0; nj < NT / 2; ++nj) {
                uint32_t r[4];
                ldmatrix_x4(r, b + (wn * WTN + nj * 16 + (lane & 7) + ((lane >> 4) << 3)) * PITCH + kk * 16 +
                                   ((lane >> 3) & 1) * 8);
                bfr[2 * nj][0] = r[0];
                bfr[2 * nj][1] = r[1];
                bfr[2 * nj + 1][0] = r[2];
                bfr[2 * nj + 1][1] = r[3];
            }
#pragma unroll
            for (int mi = 0; mi < MT; ++mi)
#pragma unroll
                for (int ni = 0; ni < NT; ++ni) mma_bf16_16816(acc[mi][ni], af[mi], bfr[ni][0], bfr[ni][1]);
        }
    }
    cp_async_wait<0>();

    const int g = lane >> 2, t4 = lane & 3;
    const bool split = gridDim.z > 1;
#pragma unroll
    for (int mi = 0; mi < MT; ++mi)
#pragma unroll
        for (int ni = 0; ni < NT; ++ni)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int row = m0 + wm * WTM + mi * 16 + g + (e >> 1) * 8;
                const int col = n0 + wn * WTN + ni * 8 + t4 * 2 + (e & 1);
                if (row >= M || col >= N) continue;
                const float v = acc[mi][ni][e];
                if (split) {
                    ws[((long long)blockIdx.z * M + row) * N + col] = v;
                } else {
                    float out = v + (bias ? bias[col] : 0.f);
                    float* dst = C + (long long)row * ldc + col;
                    if (accumulate) out += *dst;
                    *dst = out;
                }
            }
}

}  // namespace

// Entry points, one per tile shape; the host (GemmPlan) picks the shape and the split along K.
// Grid: (ceil(N/BN), ceil(M/BM), splits). Dynamic shared memory: STAGES*(BM+BN)*PITCH*2 bytes.
// Requirements: K % 8 == 0, A and W 16-byte aligned, kChunk a multiple of 32. With splits > 1 each
// split writes its partial product to ws[split][M][N] and gemm_splitk_reduce finishes the epilogue.
#define HG_GEMM_ENTRY(NAME, BM, BN, WM, WN)                                                                   \
    HG_KERNEL void __launch_bounds__(WM* WN * 32)                                                              \
        NAME(const bf16* A, const bf16* W, float* C, const float* bias, float* ws, int M, int N, int K, int ldc, \
             int kChunk, int accumulate) {                                                                     \
        gemm_tile<BM, BN, WM, WN>(A, W, C, bias, ws, M, N, K, ldc, kChunk, accumulate);                        \
    }

HG_GEMM_ENTRY(gemm_bf16_128x128, 128, 128, 2, 4)
HG_GEMM_ENTRY(gemm_bf16_64x128, 64, 128, 2, 4)
HG_GEMM_ENTRY(gemm_bf16_64x64, 64, 64, 2, 2)

// C[r][c] = (accumulate ? C[r][c] : 0) + sum_z ws[z][r][c] + bias[c], summing splits in a fixed order so
// the result does not depend on scheduling. Grid-stride over M*N.
HG_KERNEL void gemm_splitk_reduce(const float* __restrict__ ws, int splits, float* __restrict__ C,
                                  const float* __restrict__ bias, int M, int N, int ldc, int accumulate) {
    const long long total = (long long)M * N;
    for (long long e = blockIdx.x * (long long)blockDim.x + threadIdx.x; e < total; e += (long long)gridDim.x * blockDim.x) {
        const long long r = e / N;
        const int c = (int)(e - r * N);
        float s = 0.f;
        for (int z = 0; z < splits; ++z) s += ws[z * total + e];
        if (bias) s += bias[c];
        float* dst = C + r * ldc + c;
        if (accumulate) s += *dst;
        *dst = s;
    }
}
