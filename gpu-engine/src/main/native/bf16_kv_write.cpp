// One token's keys and values, every KV head of one row, rounded to bf16 and stored at their slot in the packed bf16
// KV layout (Bf16KvLayout): key dims (2p, 2p + 1) side by side, pairs 32 shorts apart; value dims 2 shorts apart
// within a block of 16, blocks valueBlock shorts apart. The Java loop did this element by element through
// ByteBuffer stores; here one call per row. Rounding as Half.floatToBf16: nearest even, NaN kept NaN (quietened).
#include <cstdint>
#include <cstring>

#define HG_EXPORT extern "C" __attribute__((visibility("default")))

typedef int32_t jint;
typedef int64_t jlong;

namespace {

inline uint16_t bf16(float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (uint16_t) ((b >> 16) | 0x40);
    return (uint16_t) ((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

}  // namespace

// keySrc, valueSrc: head 0's d floats, head h at +h·d; keyDst, valueDst: head 0's slot position (the short of dim 0)
// in the key and value buffers, head h at +h·keyHead and +h·valueHead shorts.
HG_EXPORT void Java_io_hydragen_backend_cpu_Bf16Native_writeKvSlot(void*, void*, jlong keySrc, jlong valueSrc, jint heads, jint d,
                                                                   jlong keyDst, jlong keyHead, jlong valueDst, jlong valueHead,
                                                                   jlong valueBlock) {
    for (int h = 0; h < heads; h++) {
        const float* k = reinterpret_cast<const float*>(keySrc) + (int64_t) h * d;
        const float* v = reinterpret_cast<const float*>(valueSrc) + (int64_t) h * d;
        uint16_t* kd = reinterpret_cast<uint16_t*>(keyDst) + h * keyHead;
        uint16_t* vd = reinterpret_cast<uint16_t*>(valueDst) + h * valueHead;
        for (int i = 0; i < d; i++) kd[(int64_t) (i >> 1) * 32 + (i & 1)] = bf16(k[i]);
        for (int i = 0; i < d; i++) vd[(int64_t) (i >> 4) * valueBlock + (i & 15) * 2] = bf16(v[i]);
    }
}
