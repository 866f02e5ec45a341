// Token selection on the GPU, so logits never travel to the host: argmax for greedy rows, and
// temperature + top-k + top-p sampling with a counter-based generator (Philox4x32-10) keyed by the
// row's 64-bit seed and counted by its generation step, so a row's draw depends only on
// (seed, step), never on the batch it runs in or on the launch order.
//
// Sampling is exact and deterministic: probabilities are quantised to 40-bit fixed point and all
// masses are summed in 64-bit integers (order-independent), top-k and top-p thresholds are found by
// radix selection over the logits' order-preserving bit keys (ties kept, as vLLM keeps them), and the
// draw is the first token, in vocabulary order, whose cumulative mass exceeds floor(r * Z / 2^64)
// for a 64-bit random r. io.hydragen.sampling.Sampler (Java) computes the same thing on the CPU.
//
// A row may carry a mask of allowed tokens (structured output): a bitmap of 32-bit words (bit id % 32 of word
// id / 32) in a device pool, at the row's word offset (-1: none); a disallowed token's logit reads as -inf before
// temperature, top-k and top-p, and a mask that allows nothing gives CODE_NOTHING_ALLOWED. A row may also ask for
// log-probabilities (vLLM's: log-softmax of the RAW logits, before the mask and the sampler): the picked token's,
// its rank, and the k <= 20 most likely tokens (ties: lower id first), io.hydragen.sampling.RawLogprobs on the CPU.
#include "common.cuh"

using namespace hg;

namespace {

constexpr int SAMPLE_THREADS = 512;
constexpr int LOGPROB_TOP_MAX = 20;
// Per row of logprobOut, in 32-bit words: [logprob (f32), rank (i32), ids[20] (i32), logprobs[20] (f32)].
constexpr int LOGPROB_STRIDE = 2 + 2 * LOGPROB_TOP_MAX;
constexpr double FIXED_ONE = 1099511627776.0;  // 2^40

struct Philox4 { uint32_t x[4]; };

// Philox4x32-10 (Salmon et al., SC'11): 10 rounds, key bumped between rounds.
__device__ __forceinline__ Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
    const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
#pragma unroll
    for (int r = 0; r < 10; ++r) {
        if (r > 0) { k0 += W0; k1 += W1; }
        const uint32_t hi0 = __umulhi(M0, c0), lo0 = M0 * c0;
        const uint32_t hi1 = __umulhi(M1, c2), lo1 = M1 * c2;
        const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    }
    Philox4 out;
    out.x[0] = c0; out.x[1] = c1; out.x[2] = c2; out.x[3] = c3;
    return out;
}

// Order-preserving map of a float to an unsigned key (larger float, larger key).
__device__ __forceinline__ uint32_t order_key(float f) {
    const uint32_t b = __float_as_uint(f);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

// The logit of token i as the sampler sees it: -inf where the row's mask (null: none) disallows it.
__device__ __forceinline__ float masked_logit(const float* row, const uint32_t* mask, int i) {
    const float l = row[i];
    return (mask == nullptr || ((mask[i >> 5] >> (i & 31)) & 1u)) ? l : -INFINITY;
}

struct ArgMax { float v; int i; };

__device__ __forceinline__ ArgMax better(ArgMax a, ArgMax b) {  // larger value, then smaller index
    if (b.v > a.v || (b.v == a.v && b.i < a.i)) return b;
    return a;
}

// The best of every thread's candidate (larger value, then smaller index), returned to all threads.
__device__ ArgMax block_best(ArgMax best, ArgMax* scratch) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        ArgMax other = {__shfl_xor_sync(0xffffffffu, best.v, o), __shfl_xor_sync(0xffffffffu, best.i, o)};
        best = better(best, other);
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) scratch[warp] = best;
    __syncthreads();
    if (warp == 0) {
        best = lane < (int)(blockDim.x >> 5) ? scratch[lane] : ArgMax{-INFINITY, 0x7fffffff};
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            ArgMax other = {__shfl_xor_sync(0xffffffffu, best.v, o), __shfl_xor_sync(0xffffffffu, best.i, o)};
            best = better(best, other);
        }
        if (lane == 0) scratch[0] = best;
    }
    __syncthreads();
    best = scratch[0];
    __syncthreads();
    return best;
}

// Argmax of the row under its mask (null: none); value -inf when the mask allows nothing.
__device__ ArgMax block_argmax(const float* row, const uint32_t* mask, int vocab, ArgMax* scratch) {
    ArgMax best = {-INFINITY, 0x7fffffff};
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) best = better(best, ArgMax{masked_logit(row, mask, i), i});
    return block_best(best, scratch);
}

// The best token after prev in the order (larger logit, then smaller id): the next of a top-k list.
__device__ ArgMax block_best_after(const float* row, int vocab, ArgMax prev, ArgMax* scratch) {
    ArgMax best = {-INFINITY, 0x7fffffff};
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        const float l = row[i];
        if (l < prev.v || (l == prev.v && i > prev.i)) best = better(best, ArgMax{l, i});
    }
    return block_best(best, scratch);
}

// NextTokens' codes for a row whose logits are not all finite (the row ends with an error on the host): NaN first,
// then +inf, then -inf, the precedence the host's check uses. Block-uniform, so every thread returns alike.
constexpr int CODE_NAN = -1, CODE_POS_INF = -2, CODE_NEG_INF = -3;
// The row's mask allows no token (io.hydragen.sampling.Sampler.NOTHING_ALLOWED).
constexpr int CODE_NOTHING_ALLOWED = -5;

__device__ int nonfinite_code(const float* row, int vocab, int* flags) {
    if (threadIdx.x == 0) *flags = 0;
    __syncthreads();
    int mine = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
        const float l = row[i];
        if (l != l) mine |= 1;
        else if (l == INFINITY) mine |= 2;
        else if (l == -INFINITY) mine |= 4;
    }
    if (mine) atomicOr(flags, mine);
    __syncthreads();
    const int f = *flags;
    __syncthreads();
    return (f & 1) ? CODE_NAN : (f & 2) ? CODE_POS_INF : (f & 4) ? CODE_NEG_INF : 0;
}

__device__ __forceinline__ unsigned long long fixed_prob(float logit, float maxLogit, float invTemp) {
    const float p = expf((logit - maxLogit) * invTemp);  // in [0, 1]
    return (unsigned long long)((double)p * FIXED_ONE);
}

// Largest key K such that weight(key >= K) >= need, over the elements with key >= floor (the
// survivors of an earlier cut); weight is 1 per element (top-k) or its fixed-point probability (top-p).
// Four passes of 8-bit digits with a 256-bin histogram; integer sums make it order-independent.
__device__ uint32_t radix_select(const float* row, const uint32_t* allowed, int vocab, uint32_t floorKey, bool weighted, float maxLogit,
                                 float invTemp, unsigned long long need, unsigned long long* hist, uint32_t* shared) {
    uint32_t prefix = 0, mask = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        for (int b = threadIdx.x; b < 256; b += blockDim.x) hist[b] = 0ull;
        __syncthreads();
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
            const float l = masked_logit(row, allowed, i);
            const uint32_t k = order_key(l);
            if (k < floorKey || (k & mask) != prefix) continue;
            const unsigned long long w = weighted ? fixed_prob(l, maxLogit, invTemp) : 1ull;
            if (w) atomicAdd(&hist[(k >> shift) & 255u], w);
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            unsigned long long above = 0;
            int digit = 0;
            for (int b = 255; b >= 0; --b) {
                if (above + hist[b] >= need) { digit = b; break; }
                above += hist[b];
            }
            need -= above;
            shared[0] = (uint32_t)digit;
            shared[1] = (uint32_t)(need >> 32);
            shared[2] = (uint32_t)need;
        }
        __syncthreads();
        prefix |= shared[0] << shift;
        mask |= 255u << shift;
        need = ((unsigned long long)shared[1] << 32) | shared[2];
        __syncthreads();
    }
    return prefix;
}

// The block's sum of v (unsigned long long or double), in every thread: warp shuffles, then the warps' sums added in
// warp order, the same order in every thread and every run.
template <typename T>
__device__ T block_sum(T v, T* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    T r = 0;
    for (int w = 0; w < nw; ++w) r += scratch[w];
    __syncthreads();
    return r;
}

// Raw log-probabilities of the picked token (log-softmax in double of the unmasked logits), its rank (1 + how many
// logits are larger) and the min(k, vocab) most likely tokens, by k block-wide selections (k <= 20, and only rows that
// ask pay for them). Thread 0 writes out[0..LOGPROB_STRIDE).
__device__ void write_logprobs(const float* row, int vocab, int picked, int k, float* out, ArgMax* scratch, double* dsum,
                               int* count) {
    const ArgMax top = block_argmax(row, nullptr, vocab, scratch);
    double s = 0.0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) s += exp((double)row[i] - (double)top.v);
    const double lse = (double)top.v + log(block_sum<double>(s, dsum));
    const float x = row[picked];
    if (threadIdx.x == 0) *count = 0;
    __syncthreads();
    int larger = 0;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) larger += row[i] > x ? 1 : 0;
    if (larger) atomicAdd(count, larger);
    __syncthreads();
    if (threadIdx.x == 0) {
        out[0] = (float)((double)x - lse);
        out[1] = __int_as_float(*count + 1);
    }
    ArgMax prev = top;
    for (int j = 0; j < min(k, vocab); ++j) {
        if (j > 0) prev = block_best_after(row, vocab, prev, scratch);
        if (threadIdx.x == 0) {
            out[2 + j] = __int_as_float(prev.i);
            out[2 + LOGPROB_TOP_MAX + j] = (float)((double)prev.v - lse);
        }
    }
}

// The draw of a row that is not greedy: temperature, top-k, top-p and Philox, over the masked logits; best is the
// masked argmax. Block-uniform result.
__device__ int draw_token(const float* row, const uint32_t* mask, int vocab, float temp, int k, float p,
                          unsigned long long seed, int step, ArgMax best, unsigned long long* hist, unsigned long long* usum,
                          uint32_t* shared, int* picked) {
    const float invTemp = 1.f / temp;
    const float maxLogit = best.v;

    uint32_t floorKey = 0;
    if (k > 0 && k < vocab) floorKey = radix_select(row, mask, vocab, 0u, false, maxLogit, invTemp, (unsigned long long)k, hist, shared);

    if (p < 1.f) {
        unsigned long long z = 0;
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
            const float l = masked_logit(row, mask, i);
            if (order_key(l) >= floorKey) z += fixed_prob(l, maxLogit, invTemp);
        }
        z = block_sum<unsigned long long>(z, usum);
        unsigned long long need = (unsigned long long)ceil((double)z * (double)p);
        if (need < 1) need = 1;
        if (need > z) need = z;
        floorKey = radix_select(row, mask, vocab, floorKey, true, maxLogit, invTemp, need, hist, shared);
    }

    // Each thread owns a contiguous slice of the vocabulary; an exclusive scan of the slice masses
    // (integers) tells which slice holds the drawn position, and that thread walks it.
    const int per = (vocab + blockDim.x - 1) / blockDim.x;
    const int lo = min(vocab, (int)threadIdx.x * per), hi = min(vocab, lo + per);
    unsigned long long mine = 0;
    for (int i = lo; i < hi; ++i) {
        const float l = masked_logit(row, mask, i);
        if (order_key(l) >= floorKey) mine += fixed_prob(l, maxLogit, invTemp);
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    unsigned long long incl = mine;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        const unsigned long long up = __shfl_up_sync(0xffffffffu, incl, o);
        if (lane >= o) incl += up;
    }
    if (threadIdx.x == 0) *picked = 0x7fffffff;
    __syncthreads();
    if (lane == 31) usum[warp] = incl;
    __syncthreads();
    unsigned long long before = 0, total = 0;
    for (int w = 0; w < (int)(blockDim.x >> 5); ++w) {
        if (w < warp) before += usum[w];
        total += usum[w];
    }
    const unsigned long long excl = before + incl - mine;

    const Philox4 rnd = philox4x32_10((uint32_t)step, 0u, 0u, 0u, (uint32_t)seed, (uint32_t)(seed >> 32));
    const unsigned long long r64 = ((unsigned long long)rnd.x[1] << 32) | rnd.x[0];
    const unsigned long long target = __umul64hi(total, r64);  // uniform in [0, total)

    if (mine > 0 && target >= excl && target < excl + mine) {
        unsigned long long run = excl;
        for (int i = lo; i < hi; ++i) {
            const float l = masked_logit(row, mask, i);
            if (order_key(l) < floorKey) continue;
            run += fixed_prob(l, maxLogit, invTemp);
            if (run > target) { atomicMin(picked, i); break; }
        }
    }
    __syncthreads();
    const int token = *picked == 0x7fffffff ? best.i : *picked;
    __syncthreads();
    return token;
}

// How both kernels start a row: its logits, its mask (null: none) and the masked argmax (value -inf when the mask
// allows nothing). ok is false for a row with a non-finite logit, whose code is then already in out[r]. Block-uniform.
struct RowStart {
    const float* row;
    const uint32_t* mask;
    ArgMax best;
    bool ok;
};

__device__ __forceinline__ RowStart start_row(const float* logits, int vocab, int r, const uint32_t* maskPool,
                                              const int* maskOffset, int* out, ArgMax* scratch, int* flags) {
    const float* row = logits + (long long)r * vocab;
    const int bad = nonfinite_code(row, vocab, flags);
    if (bad) {
        if (threadIdx.x == 0) out[r] = bad;
        return RowStart{row, nullptr, ArgMax{-INFINITY, 0x7fffffff}, false};
    }
    const int mo = maskOffset[r];
    const uint32_t* mask = mo >= 0 ? maskPool + mo : nullptr;
    return RowStart{row, mask, block_argmax(row, mask, vocab, scratch), true};
}

// How both kernels end a row: its token (or negative code) in out[r], then its log-probabilities when a token was
// picked and the row asks for them (logprobTop[r] >= 0).
__device__ __forceinline__ void finish_row(const float* row, int vocab, int r, int token, const int* logprobTop,
                                           float* logprobOut, int* out, ArgMax* scratch, double* dsum, int* flags) {
    if (threadIdx.x == 0) out[r] = token;
    const int k = logprobTop[r];
    if (token >= 0 && k >= 0) write_logprobs(row, vocab, token, k, logprobOut + (long long)r * LOGPROB_STRIDE, scratch, dsum, flags);
}

}  // namespace

// Per row r: maskOffset[r] >= 0 is the word offset of the row's bitmap in maskPool (-1: no mask); logprobTop[r] >= 0
// asks for log-probabilities with that many alternatives (-1: none), written to logprobOut[r * LOGPROB_STRIDE ...]
// where a token was picked.

// out[r] = argmax over the (masked) logits[r][0..vocab) (first index among equal maxima), or a negative code
// (nonfinite_code on the raw logits; CODE_NOTHING_ALLOWED).
// Grid: rows blocks; block: SAMPLE_THREADS (any multiple of 32 up to 1024 works).
HG_KERNEL void __launch_bounds__(SAMPLE_THREADS)
    argmax_rows(const float* __restrict__ logits, int vocab, int rows, const uint32_t* __restrict__ maskPool,
                const int* __restrict__ maskOffset, const int* __restrict__ logprobTop, float* __restrict__ logprobOut,
                int* __restrict__ out) {
    __shared__ ArgMax scratch[32];
    __shared__ double dsum[32];
    __shared__ int flags;
    const int r = blockIdx.x;
    if (r >= rows) return;
    const RowStart s = start_row(logits, vocab, r, maskPool, maskOffset, out, scratch, &flags);
    if (!s.ok) return;
    const int token = s.best.v == -INFINITY ? CODE_NOTHING_ALLOWED : s.best.i;
    finish_row(s.row, vocab, r, token, logprobTop, logprobOut, out, scratch, dsum, &flags);
}

// Per row r: temperature[r] == 0 (or topK[r] == 1) picks the argmax; otherwise p_i ~ exp((l_i - max) / T),
// cut to the tokens at or above the topK[r]-th largest logit (topK[r] <= 0: no cut), then to the
// smallest set of the largest whose mass reaches topP[r] of what is left (topP[r] >= 1: no cut), and
// one token drawn from what remains with Philox4x32-10(counter = (step, 0, 0, 0), key = seed); all over the masked
// logits. A row with a non-finite logit gets a negative code instead (nonfinite_code), one whose mask allows nothing
// CODE_NOTHING_ALLOWED. Log-probabilities as in argmax_rows.
// Grid: rows blocks; block: SAMPLE_THREADS. At least one block per SM is all it asks (min blocks 1): without it ptxas
// holds sm_80 to 32 registers and spills once the mask and log-probabilities are in; a pass has a block per row,
// few enough that occupancy is not what limits it.
HG_KERNEL void __launch_bounds__(SAMPLE_THREADS, 1)
    sample_rows(const float* __restrict__ logits, int vocab, int rows, const float* __restrict__ temperature,
                const int* __restrict__ topK, const float* __restrict__ topP, const unsigned long long* __restrict__ seeds,
                const int* __restrict__ steps, const uint32_t* __restrict__ maskPool, const int* __restrict__ maskOffset,
                const int* __restrict__ logprobTop, float* __restrict__ logprobOut, int* __restrict__ out) {
    __shared__ ArgMax scratch[32];
    __shared__ unsigned long long hist[256];
    __shared__ unsigned long long usum[32];
    __shared__ double dsum[32];
    __shared__ uint32_t shared[4];
    __shared__ int picked;
    __shared__ int flags;
    const int r = blockIdx.x;
    if (r >= rows) return;
    const RowStart s = start_row(logits, vocab, r, maskPool, maskOffset, out, scratch, &flags);
    if (!s.ok) return;
    const float temp = temperature[r];
    const int k = topK[r];
    int token;
    if (s.best.v == -INFINITY) token = CODE_NOTHING_ALLOWED;
    else if (!(temp > 0.f) || k == 1) token = s.best.i;
    else token = draw_token(s.row, s.mask, vocab, temp, k, topP[r], seeds[r], steps[r], s.best, hist, usum, shared, &picked);
    finish_row(s.row, vocab, r, token, logprobTop, logprobOut, out, scratch, dsum, &flags);
}
