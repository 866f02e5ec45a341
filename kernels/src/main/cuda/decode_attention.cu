// Per-sequence decode attention: one query token per sequence (its G query heads of one KV head)
// against a range of one KV segment, on CUDA cores (a handful of query rows leaves the tensor cores
// idle; the kernel is bound by reading K and V). Long ranges are split along the sequence into
// chunks that run in parallel blocks and are merged through their LSE (merge.cu), like split-K.
//
// Work items are planned on the host (AttentionPlan) as int64 records of DEC_FIELDS values:
//   QROW     row of q (and of the partial buffers)
//   KADDR    device address of K[layer 0][head 0][token 0] of the segment (bf16)
//   VADDR    same for V
//   HSTRIDE  elements between consecutive KV heads (segment capacity * D)
//   LSTRIDE  elements between consecutive layers of the segment
//   KV0,KV1  keys [KV0, KV1) of the segment, already clipped to what the row may see; may be empty
//   SLOT     partial slot this item writes
// An empty range writes LSE = -inf, which the merge ignores: a plan laid out by segment capacity
// (the same grid at every decode step, as a captured CUDA graph needs) stays valid as suffixes grow.
// Grid: (items, kvHeads); block: 128 threads. Dynamic shared memory (floats):
//   G*D (q) + G*chunkMax (scores) + 2*G (max, sum) + 4*8*D (cross-warp reduction).
#include "common.cuh"

using namespace hg;

namespace {

enum DecodeField { DF_QROW = 0, DF_KADDR, DF_VADDR, DF_HSTRIDE, DF_LSTRIDE, DF_KV0, DF_KV1, DF_SLOT, DEC_FIELDS };
constexpr int DEC_THREADS = 128;
constexpr int DEC_HEADS_PER_PASS = 8;  // query heads whose output accumulators live in registers at once
constexpr int DEC_UNROLL = 2;          // tokens per thread whose K (or V) loads are in flight together

template <int D>
__device__ __forceinline__ void decode_item(const bf16* __restrict__ q, const long long* __restrict__ items,
                                            float* __restrict__ oPart, float* __restrict__ lsePart, int numRows,
                                            int numQHeads, int group, float scaleLog2, int chunkMax, int layer) {
    constexpr int TPT = D / 8;              // threads per token: each loads one 16-byte vector of a row
    constexpr int TOK = DEC_THREADS / TPT;  // tokens per pass of the block
    static_assert(TPT >= 2 && TPT <= 32 && (TPT & (TPT - 1)) == 0, "head_dim must be a power of two, 16..256");
    extern __shared__ __align__(16) float dsm[];
    float* sq = dsm;                               // [G][D]
    float* ss = sq + group * D;                    // [G][chunkMax]
    float* sstat = ss + group * chunkMax;          // [G] max, [G] sum
    float* sred = sstat + 2 * group;               // [4 warps][8 heads][D]

    const long long* it = items + (long long)blockIdx.x * DEC_FIELDS;
    const long long qrow = it[DF_QROW];
    const long long hs = it[DF_HSTRIDE], layerOff = (long long)layer * it[DF_LSTRIDE];
    const int kvh = blockIdx.y;
    const bf16* Kp = reinterpret_cast<const bf16*>(it[DF_KADDR]) + layerOff + kvh * hs;
    const bf16* Vp = reinterpret_cast<const bf16*>(it[DF_VADDR]) + layerOff + kvh * hs;
    const int s0 = (int)it[DF_KV0];
    const int n = max(0, min((int)it[DF_KV1] - s0, chunkMax));
    const int slot = (int)it[DF_SLOT];

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int li = tid % TPT, tokSlot = tid / TPT;

    const bf16* qsrc = q + (qrow * numQHeads + (long long)kvh * group) * D;  // the group's heads are adjacent
    for (int e = tid; e < group * D; e += DEC_THREADS) sq[e] = to_f32(qsrc[e]);
    __syncthreads();

    // Pass 1: scores (log2 units) of every token in the chunk for every head of the group. Each thread
    // issues DEC_UNROLL independent 16-byte non-coherent loads (tokens TOK apart) before using them, so
    // more than one load per thread is in flight. The loop runs the same number of times in every lane
    // (n is block-uniform), because the shuffles below need the whole warp.
    for (int base = 0; base < n; base += DEC_UNROLL * TOK) {
        float kf[DEC_UNROLL][8];
#pragma unroll
        for (int u = 0; u < DEC_UNROLL; ++u) {
            const int tt = base + u * TOK + tokSlot;
            if (tt < n) {
                unpack8(ld_nc_v4(Kp + (long long)(s0 + tt) * D + li * 8), kf[u]);
            } else {
#pragma unroll
                for (int i = 0; i < 8; ++i) kf[u][i] = 0.f;
            }
        }
        for (int gg = 0; gg < group; ++gg) {
            const float* qv = sq + gg * D + li * 8;
            float qf[8];
#pragma unroll
            for (int i = 0; i < 8; ++i) qf[i] = qv[i];
#pragma unroll
            for (int u = 0; u < DEC_UNROLL; ++u) {
                const int tt = base + u * TOK + tokSlot;
                float dot = 0.f;
#pragma unroll
                for (int i = 0; i < 8; ++i) dot += qf[i] * kf[u][i];
#pragma unroll
                for (int o = TPT / 2; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
                if (tt < n && li == 0) ss[gg * chunkMax + tt] = dot * scaleLog2;
            }
        }
    }
    __syncthreads();

    // Softmax statistics, one warp per head; scores become unnormalised probabilities in place.
    for (int gg = warp; gg < group; gg += DEC_THREADS / 32) {
        float* row = ss + gg * chunkMax;
        float m = -INFINITY;
        for (int i = lane; i < n; i += 32) m = fmaxf(m, row[i]);
        m = warp_max(m);
        float l = 0.f;
        for (int i = lane; i < n; i += 32) {
            const float p = exp2f(row[i] - m);
            row[i] = p;
            l += p;
        }
        l = warp_sum(l);
        if (lane == 0) {
            sstat[gg] = m;
            sstat[group + gg] = l;
        }
    }
    __syncthreads();

    // Pass 2: O = P V, heads in groups of 8 so the accumulators stay in registers.
    for (int gb = 0; gb < group; gb += DEC_HEADS_PER_PASS) {
        const int gn = min(DEC_HEADS_PER_PASS, group - gb);
        float acc[DEC_HEADS_PER_PASS][8];
#pragma unroll
        for (int a = 0; a < DEC_HEADS_PER_PASS; ++a)
#pragma unroll
            for (int i = 0; i < 8; ++i) acc[a][i] = 0.f;
        // DEC_UNROLL tokens TOK apart per iteration: their 16-byte V loads are issued together.
        int tt = tokSlot;
        for (; tt + (DEC_UNROLL - 1) * TOK < n; tt += DEC_UNROLL * TOK) {
            uint4 raw[DEC_UNROLL];
#pragma unroll
            for (int u = 0; u < DEC_UNROLL; ++u) raw[u] = ld_nc_v4(Vp + (long long)(s0 + tt + u * TOK) * D + li * 8);
#pragma unroll
            for (int u = 0; u < DEC_UNROLL; ++u) {
                float vf[8];
                unpack8(raw[u], vf);
#pragma unroll
                for (int a = 0; a < DEC_HEADS_PER_PASS; ++a) {
                    if (a < gn) {
                        const float p = ss[(gb + a) * chunkMax + tt + u * TOK];
#pragma unroll
                        for (int i = 0; i < 8; ++i) acc[a][i] += p * vf[i];
                    }
                }
            }
        }
        for (; tt < n; tt += TOK) {  // the last tokens, fewer than DEC_UNROLL per thread
            float vf[8];
            unpack8(ld_nc_v4(Vp + (long long)(s0 + tt) * D + li * 8), vf);
#pragma unroll
            for (int a = 0; a < DEC_HEADS_PER_PASS; ++a) {
                if (a < gn) {
                    const float p = ss[(gb + a) * chunkMax + tt];
#pragma unroll
                    for (int i = 0; i < 8; ++i) acc[a][i] += p * vf[i];
                }
            }
        }
        // Lanes with the same li (same 8 dims) hold different tokens: reduce them within the warp.
#pragma unroll
        for (int a = 0; a < DEC_HEADS_PER_PASS; ++a)
#pragma unroll
            for (int i = 0; i < 8; ++i)
#pragma unroll
                for (int o = TPT; o < 32; o <<= 1) acc[a][i] += __shfl_xor_sync(0xffffffffu, acc[a][i], o);
        if (lane < TPT) {
#pragma unroll
            for (int a = 0; a < DEC_HEADS_PER_PASS; ++a)
#pragma unroll
                for (int i = 0; i < 8; ++i) sred[(warp * DEC_HEADS_PER_PASS + a) * D + li * 8 + i] = acc[a][i];
        }
        __syncthreads();
        for (int e = tid; e < gn * D; e += DEC_THREADS) {
            const int a = e / D, d = e - a * D;
            float sum = 0.f;
#pragma unroll
            for (int w = 0; w < DEC_THREADS / 32; ++w) sum += sred[(w * DEC_HEADS_PER_PASS + a) * D + d];
            const int gg = gb + a;
            const float l = sstat[group + gg];
            const long long base = ((long long)slot * numRows + qrow) * numQHeads + (long long)kvh * group + gg;
            oPart[base * D + d] = l > 0.f ? sum / l : 0.f;
            if (d == 0) lsePart[base] = l > 0.f ? (sstat[gg] + log2f(l)) * LN2 : -INFINITY;
        }
        __syncthreads();  // sred is reused by the next group of heads
    }
}

}  // namespace

#define HG_DECODE_ENTRY(D)                                                                                    \
    HG_KERNEL void __launch_bounds__(DEC_THREADS)                                                             \
        decode_attention_d##D(const bf16* q, const long long* items, float* oPart, float* lsePart, int numRows, \
                              int numQHeads, int group, float scaleLog2, int chunkMax, int layer) {           \
        decode_item<D>(q, items, oPart, lsePart, numRows, numQHeads, group, scaleLog2, chunkMax, layer);      \
    }

HG_DECODE_ENTRY(16)
HG_DECODE_ENTRY(32)
HG_DECODE_ENTRY(64)
HG_DECODE_ENTRY(128)
HG_DECODE_ENTRY(256)
