// Flash-style attention of a tile of stacked queries against a range of one segment's KV, on tensor
// cores (mma.sync m16n8k16, bf16 in, fp32 accumulate), writing the normalised output and the natural
// log-sum-exp of the scores into a partial slot that merge.cu combines exactly.
//
// GQA stacking: for KV head h, stacked row r of a work tile is (token r / G, query head h*G + r % G),
// so the G query heads of every sequence under a segment form one tall matrix against that segment's
// K and V, which each block reads once per tile of 64 stacked rows.
//
// Work tiles are planned on the host (AttentionPlan) as int64 records of ATT_FIELDS values:
//   ROWLIST  offset into rowList / limits / rowSlot of this (block, segment)'s query tokens
//   NTOK     number of query tokens in that list
//   ROW0     first stacked row of this tile (a multiple of 64)
//   KV0,KV1  KV token range [KV0, KV1) of the segment this tile covers (split-K along the segment);
//            for a masked launch KV1 is already clipped to the largest limit among the tile's tokens
//   KADDR    device address of K[layer 0][head 0][token 0] of the segment (bf16)
//   VADDR    same for V
//   HSTRIDE  elements between consecutive KV heads (segment capacity * D)
//   LSTRIDE  elements between consecutive layers of the segment
//   CHUNK    index of this KV chunk: the tile writes partial slot rowSlot[token] + CHUNK
// Per token (indexed like rowList): rowList = row of q and of the partial buffers, limits = keys of
// the segment visible to that token (masked launches only; the causal prefill of a segment's own
// tokens has limits[t] = slot + 1), rowSlot = the first partial slot this segment gives that row.
// Grid: (tiles, kvHeads); block: 128 threads (4 warps x 16 stacked rows).
#pragma once

#include "common.cuh"

namespace hg {

enum AttentionTileField {
    AT_ROWLIST = 0, AT_NTOK, AT_ROW0, AT_KV0, AT_KV1, AT_KADDR, AT_VADDR, AT_HSTRIDE, AT_LSTRIDE, AT_CHUNK, ATT_FIELDS
};

constexpr int ATT_BM = 64;
constexpr int ATT_BN = 64;
constexpr int ATT_THREADS = 128;

template <int D, bool MASKED>
__device__ __forceinline__ void attention_tile(const bf16* __restrict__ q, const long long* __restrict__ tiles,
                                               const int* __restrict__ rowList, const int* __restrict__ limits,
                                               const int* __restrict__ rowSlot, float* __restrict__ oPart,
                                               float* __restrict__ lsePart, int numRows, int numQHeads, int group,
                                               float scaleLog2, int layer) {
    static_assert(D % 16 == 0 && D <= 128, "head_dim must be a multiple of 16, at most 128");
    constexpr int P = D + 8;           // row pitch: each row starts one 16-byte vector later mod 128 B
    constexpr int KSTEPS = D / 16;     // k-steps of Q K^T
    constexpr int DT = D / 8;          // 8-wide output tiles
    constexpr int NT = ATT_BN / 8;     // 8-wide score tiles
    constexpr int CPR = D / 8;         // 16-byte chunks per row
    extern __shared__ __align__(16) unsigned char smem_raw[];
    bf16* sQ = reinterpret_cast<bf16*>(smem_raw);  // [BM][P]
    bf16* sK = sQ + ATT_BM * P;                     // [2][BN][P]
    bf16* sV = sK + 2 * ATT_BN * P;                 // [2][BN][P]

    const long long* t = tiles + (long long)blockIdx.x * ATT_FIELDS;
    const int rowListOff = (int)t[AT_ROWLIST], nTok = (int)t[AT_NTOK], row0 = (int)t[AT_ROW0];
    const int kv0 = (int)t[AT_KV0];
    const int kv1 = (int)t[AT_KV1];
    const long long hs = t[AT_HSTRIDE], layerOff = (long long)layer * t[AT_LSTRIDE];
    const int kvh = blockIdx.y;
    const bf16* Kp = reinterpret_cast<const bf16*>(t[AT_KADDR]) + layerOff + kvh * hs;
    const bf16* Vp = reinterpret_cast<const bf16*>(t[AT_VADDR]) + layerOff + kvh * hs;
    const int chunk = (int)t[AT_CHUNK];
    const int stacked = nTok * group;

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t4 = lane & 3;

    for (int c = tid; c < ATT_BM * CPR; c += ATT_THREADS) {
        const int r = c / CPR, dc = (c % CPR) * 8;
        const int sr = row0 + r;
        const bf16* src = q;
        int bytes = 0;
        if (sr < stacked) {
            const int tok = sr / group, gg = sr - tok * group;
            const int qrow = rowList[rowListOff + tok];
            src = q + ((long long)qrow * numQHeads + kvh * group + gg) * D + dc;
            bytes = 16;
        }
        cp_async16(sQ + r * P + dc, src, bytes);
    }
    // KV rows past kv1 are zero-filled: their scores are masked to -inf, and zero V keeps 0 * V finite.
    auto load_kv = [&](int stage, int tok0) {
        bf16* k = sK + stage * ATT_BN * P;
        bf16* v = sV + stage * ATT_BN * P;
        for (int c = tid; c < ATT_BN * CPR; c += ATT_THREADS) {
            const int r = c / CPR, dc = (c % CPR) * 8;
            const int tok = tok0 + r;
            const bool ok = tok < kv1;
            cp_async16(k + r * P + dc, ok ? Kp + (long long)tok * D + dc : q, ok ? 16 : 0);
            cp_async16(v + r * P + dc, ok ? Vp + (long long)tok * D + dc : q, ok ? 16 : 0);
        }
    };

    const int nTiles = kv1 > kv0 ? (kv1 - kv0 + ATT_BN - 1) / ATT_BN : 0;
    if (nTiles > 0) load_kv(0, kv0);
    cp_async_commit();

    float o[DT][4];
#pragma unroll
    for (int i = 0; i < DT; ++i)
#pragma unroll
        for (int e = 0; e < 4; ++e) o[i][e] = 0.f;
    float mrow[2] = {-INFINITY, -INFINITY};  // running max of scaled scores (log2 units)
    float lrow[2] = {0.f, 0.f};              // running sum of 2^(s - mrow)
    int rowLimit[2];  // keys visible to each of this thread's two rows
#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const int sr = row0 + warp * 16 + g + h * 8;
        rowLimit[h] = MASKED && sr < stacked ? limits[rowListOff + sr / group] : 0x7fffffff;
    }
    // The Q fragments, loaded once before the key loop (loading them at j == 0 inside it made ptxas spill
    // on sm_90 for D 16 and 64: PtxasResourcesTest).
    uint32_t qf[KSTEPS][4];
    cp_async_wait<0>();
    __syncthreads();  // Q (and K/V tile 0) landed for all threads
#pragma unroll
    for (int kk = 0; kk < KSTEPS; ++kk)
        ldmatrix_x4(qf[kk], sQ + (warp * 16 + (lane & 15)) * P + kk * 16 + (lane >> 4) * 8);

    for (int j = 0; j < nTiles; ++j) {
        if (j > 0) {
            cp_async_wait<0>();
            __syncthreads();  // tile j landed for all threads; stage (j+1)&1 is no longer being read
        }
        if (j + 1 < nTiles) load_kv((j + 1) & 1, kv0 + (j + 1) * ATT_BN);
        cp_async_commit();

        const bf16* k = sK + (j & 1) * ATT_BN * P;
        const bf16* v = sV + (j & 1) * ATT_BN * P;

        float s[NT][4];
#pragma unroll
        for (int i = 0; i < NT; ++i)
#pragma unroll
            for (int e = 0; e < 4; ++e) s[i][e] = 0.f;
#pragma unroll
        for (int kk = 0; kk < KSTEPS; ++kk)
#pragma unroll
            for (int nj = 0; nj < NT / 2; ++nj) {
                uint32_t r[4];
                ldmatrix_x4(r, k + (nj * 16 + (lane & 7) + ((lane >> 4) << 3)) * P + kk * 16 + ((lane >> 3) & 1) * 8);
                mma_bf16_16816(s[2 * nj], qf[kk], r[0], r[1]);
                mma_bf16_16816(s[2 * nj + 1], qf[kk], r[2], r[3]);
            }

        const int kvBase = kv0 + j * ATT_BN;
        float mx[2] = {-INFINITY, -INFINITY};
#pragma unroll
        for (int ni = 0; ni < NT; ++ni)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int h = e >> 1;
                const int col = kvBase + ni * 8 + t4 * 2 + (e & 1);
                float x = s[ni][e] * scaleLog2;
                if (col >= kv1 || col >= rowLimit[h]) x = -INFINITY;
                s[ni][e] = x;
                mx[h] = fmaxf(mx[h], x);
            }
        float corr[2], mref[2];
#pragma unroll
        for (int h = 0; h < 2; ++h) {  // the four lanes of a quad share a row
            mx[h] = fmaxf(mx[h], __shfl_xor_sync(0xffffffffu, mx[h], 1));
            mx[h] = fmaxf(mx[h], __shfl_xor_sync(0xffffffffu, mx[h], 2));
            const float mnew = fmaxf(mrow[h], mx[h]);
            mref[h] = mnew == -INFINITY ? 0.f : mnew;  // a fully masked row so far: avoid -inf - -inf
            corr[h] = exp2f(mrow[h] - mref[h]);
            mrow[h] = mnew;
        }
        float rs[2] = {0.f, 0.f};
#pragma unroll
        for (int ni = 0; ni < NT; ++ni)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const float p = exp2f(s[ni][e] - mref[e >> 1]);
                s[ni][e] = p;
                rs[e >> 1] += p;
            }
#pragma unroll
        for (int h = 0; h < 2; ++h) {
            rs[h] += __shfl_xor_sync(0xffffffffu, rs[h], 1);
            rs[h] += __shfl_xor_sync(0xffffffffu, rs[h], 2);
            lrow[h] = lrow[h] * corr[h] + rs[h];
        }
#pragma unroll
        for (int i = 0; i < DT; ++i)
#pragma unroll
            for (int e = 0; e < 4; ++e) o[i][e] *= corr[e >> 1];

        // O += P V: the score accumulators of two adjacent 8-wide tiles are exactly the A fragment of
        // one 16-deep k-step, so P goes from registers to the tensor cores without shared memory.
#pragma unroll
        for (int kk = 0; kk < ATT_BN / 16; ++kk) {
            uint32_t a[4];
            a[0] = pack_bf16x2(s[2 * kk][0], s[2 * kk][1]);
            a[1] = pack_bf16x2(s[2 * kk][2], s[2 * kk][3]);
            a[2] = pack_bf16x2(s[2 * kk + 1][0], s[2 * kk + 1][1]);
            a[3] = pack_bf16x2(s[2 * kk + 1][2], s[2 * kk + 1][3]);
#pragma unroll
            for (int dn = 0; dn < DT / 2; ++dn) {
                uint32_t r[4];
                ldmatrix_x4_trans(r, v + (kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8) * P + dn * 16 + (lane >> 4) * 8);
                mma_bf16_16816(o[2 * dn], a, r[0], r[1]);
                mma_bf16_16816(o[2 * dn + 1], a, r[2], r[3]);
            }
        }
    }
    cp_async_wait<0>();

#pragma unroll
    for (int h = 0; h < 2; ++h) {
        const int sr = row0 + warp * 16 + g + h * 8;
        if (sr >= stacked) continue;
        const int tok = sr / group, gg = sr - tok * group;
        const long long qrow = rowList[rowListOff + tok];
        const int slot = rowSlot[rowListOff + tok] + chunk;
        const int head = kvh * group + gg;
        const float inv = lrow[h] > 0.f ? 1.f / lrow[h] : 0.f;
        float* dst = oPart + (((long long)slot * numRows + qrow) * numQHeads + head) * D;
#pragma unroll
        for (int i = 0; i < DT; ++i)
            *reinterpret_cast<float2*>(dst + i * 8 + t4 * 2) = make_float2(o[i][2 * h] * inv, o[i][2 * h + 1] * inv);
        if (t4 == 0)
            lsePart[((long long)slot * numRows + qrow) * numQHeads + head] =
                lrow[h] > 0.f ? (mrow[h] + log2f(lrow[h])) * LN2 : -INFINITY;
    }
}

}  // namespace hg
