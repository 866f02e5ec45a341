// The emulated device: kernel registry, block/warp execution on host threads, and the script runner that the
// Java tests (gpu-engine/src/test/java/io/hydragen/backend/cuda/emu) drive.
//
//   hydragen_emu SCRIPT OUT
// SCRIPT (little-endian) holds the buffers (made-up device address, size, contents) and the operations
// (kernel launches with the exact grid, block, dynamic shared bytes and arguments the host wrappers passed,
// and 32-bit fills); OUT receives the final contents of the buffers marked as outputs.
// Buffers are separate heap blocks of exactly their size, so AddressSanitizer reports any access outside one.
#include "cuda_emu.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "emu_registry.h"

namespace emu {

namespace {
std::string g_kernel = "(none)";
std::mutex g_failLock;
}

void fail(const char* fmt, ...) {
    std::lock_guard<std::mutex> lock(g_failLock);
    va_list ap;
    va_start(ap, fmt);
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "EMU ERROR in %s, block (%u,%u,%u) thread %u: %s\n", g_kernel.c_str(), blockIdx.x, blockIdx.y,
            blockIdx.z, threadIdx.x, msg);
    fflush(stderr);
    _exit(86);
}

namespace {

constexpr int DEADLOCK_SECONDS = 60;

// A reusable barrier whose expected count drops when a thread exits (exited threads count as arrived).
class Barrier {
public:
    void reset(int expected) {
        std::lock_guard<std::mutex> l(m_);
        expected_ = expected;
        arrived_ = 0;
    }
    int expected() {
        std::lock_guard<std::mutex> l(m_);
        return expected_;
    }
    void arrive_and_wait(const char* what) {
        std::unique_lock<std::mutex> l(m_);
        const unsigned long long gen = gen_;
        if (++arrived_ >= expected_) {
            release();
            return;
        }
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(DEADLOCK_SECONDS);
        while (gen_ == gen) {
            if (cv_.wait_until(l, deadline) == std::cv_status::timeout && gen_ == gen) {
                const int a = arrived_, e = expected_;
                l.unlock();
                fail("deadlock: %d of %d threads waited %d s at %s", a, e, DEADLOCK_SECONDS, what);
            }
        }
    }
    void drop() {
        std::lock_guard<std::mutex> l(m_);
        --expected_;
        if (arrived_ > 0 && arrived_ >= expected_) release();
    }

private:
    void release() {
        arrived_ = 0;
        ++gen_;
        cv_.notify_all();
    }
    std::mutex m_;
    std::condition_variable cv_;
    int expected_ = 0, arrived_ = 0;
    unsigned long long gen_ = 0;
};

struct Warp {
    Barrier bar;
    alignas(16) unsigned char slots[32][64];
};

struct Copy {
    void* dst;
    unsigned char data[16];
};

struct ThreadState {
    std::vector<Copy> open;                  // issued, not yet committed
    std::vector<std::vector<Copy>> groups;   // committed, oldest first
};

struct BlockState {
    unsigned threads = 0;
    Barrier blockBar;
    Barrier endBar;
    std::vector<std::unique_ptr<Warp>> warps;
    unsigned char* smem = nullptr;
    size_t smemBytes = 0;
};

BlockState g_block;
thread_local ThreadState* t_state = nullptr;

void apply(std::vector<Copy>& group) {
    for (Copy& c : group) std::memcpy(c.dst, c.data, 16);
    group.clear();
}

}  // namespace

void syncthreads() { g_block.blockBar.arrive_and_wait("__syncthreads"); }

void* dynamic_smem() { return g_block.smem; }

void warp_gather(const void* mine, size_t bytes, void* all) {
    if (bytes > 64) fail("warp collective of %zu bytes per lane", bytes);
    Warp& w = *g_block.warps[threadIdx.x >> 5];
    if (w.bar.expected() != 32) {
        fail("warp collective reached by %d live lanes (lanes of this warp returned early)", w.bar.expected());
    }
    std::memcpy(w.slots[threadIdx.x & 31], mine, bytes);
    w.bar.arrive_and_wait("a warp collective");
    for (int l = 0; l < 32; ++l) std::memcpy(static_cast<unsigned char*>(all) + l * bytes, w.slots[l], bytes);
    w.bar.arrive_and_wait("a warp collective (second phase)");
}

void check_smem(const void* p, size_t bytes, size_t align, const char* what) {
    const unsigned char* c = static_cast<const unsigned char*>(p);
    if (g_block.smem == nullptr || c < g_block.smem || c + bytes > g_block.smem + g_block.smemBytes) {
        fail("%s %p (%zu bytes) is outside the block's %zu bytes of dynamic shared memory at %p", what, p, bytes,
             g_block.smemBytes, (void*)g_block.smem);
    }
    if (reinterpret_cast<uintptr_t>(p) % align != 0) fail("%s %p is not %zu-byte aligned", what, p, align);
}

void cp_async(void* smem, const void* gmem, int srcBytes) {
    check_smem(smem, 16, 16, "cp.async destination");
    if (srcBytes < 0 || srcBytes > 16) fail("cp.async src-size %d", srcBytes);
    Copy c;
    c.dst = smem;
    if (srcBytes > 0) {
        if (reinterpret_cast<uintptr_t>(gmem) % 16 != 0) fail("cp.async source %p is not 16-byte aligned", gmem);
        std::memcpy(c.data, gmem, (size_t)srcBytes);  // AddressSanitizer checks the global read here
    }
    std::memset(c.data + srcBytes, 0, 16 - (size_t)srcBytes);
    t_state->open.push_back(c);
}

void cp_async_commit() {
    t_state->groups.push_back(std::move(t_state->open));
    t_state->open.clear();
}

void cp_async_wait(int pending) {
    auto& gs = t_state->groups;
    while ((int)gs.size() > pending) {
        apply(gs.front());
        gs.erase(gs.begin());
    }
}

// ---- launches --------------------------------------------------------------------------------------------

int launch(const Entry& e, const std::string& name, dim3 grid, dim3 block, size_t smemBytes, void** args) {
    if (block.y != 1 || block.z != 1) fail("only 1-D blocks are emulated");
    if (block.x == 0 || block.x > 1024 || block.x % 32 != 0) {
        fprintf(stderr, "EMU ERROR: launch of %s with %u threads per block (must be a multiple of 32, at most 1024)\n",
                name.c_str(), block.x);
        return 2;
    }
    g_kernel = name;
    const unsigned n = block.x;
    BlockState& b = g_block;
    b.threads = n;
    b.warps.clear();
    for (unsigned w = 0; w < n / 32; ++w) b.warps.emplace_back(new Warp());
    const unsigned long long blocks = (unsigned long long)grid.x * grid.y * grid.z;
    auto startBlock = [&](unsigned long long idx) {
        b.blockBar.reset((int)n);
        for (auto& w : b.warps) w->bar.reset(32);
        std::free(b.smem);
        b.smem = nullptr;
        b.smemBytes = smemBytes;
        if (smemBytes > 0) {
            b.smem = static_cast<unsigned char*>(std::malloc(smemBytes));
            std::memset(b.smem, 0xff, smemBytes);  // NaN everywhere: reading shared memory nobody wrote shows
        } else {
            b.smem = static_cast<unsigned char*>(std::malloc(0));  // any access is out of bounds
        }
        (void)idx;
    };
    startBlock(0);
    b.endBar.reset((int)n);
    std::vector<std::thread> threads;
    threads.reserve(n);
    for (unsigned tid = 0; tid < n; ++tid) {
        threads.emplace_back([&, tid]() {
            ThreadState st;
            t_state = &st;
            threadIdx = uint3{tid, 0, 0};
            blockDim = block;
            gridDim = grid;
            for (unsigned long long i = 0; i < blocks; ++i) {
                blockIdx = uint3{(unsigned)(i % grid.x), (unsigned)((i / grid.x) % grid.y), (unsigned)(i / ((unsigned long long)grid.x * grid.y))};
                e.run(args);
                // Copies still in flight complete when the thread exits (as on the device).
                cp_async_commit();
                cp_async_wait(0);
                b.blockBar.drop();
                b.warps[tid >> 5]->bar.drop();
                // The last thread of the block sets the next one up before any thread starts it.
                b.endBar.arrive_and_wait("the end of the block");
                if (tid == 0) startBlock(i + 1);
                b.endBar.arrive_and_wait("the start of the next block");
            }
            t_state = nullptr;
        });
    }
    for (auto& t : threads) t.join();
    std::free(b.smem);
    b.smem = nullptr;
    g_kernel = "(none)";
    return 0;
}

}  // namespace emu

// ---- the registry ----------------------------------------------------------------------------------------

std::map<std::string, emu::Entry>& emu::registry() {
    static std::map<std::string, Entry> r;
    return r;
}

// ---- the script runner -----------------------------------------------------------------------------------

namespace {

struct Reader {
    FILE* f;
    template <class T>
    T get() {
        T v;
        if (fread(&v, sizeof(T), 1, f) != 1) {
            fprintf(stderr, "EMU ERROR: truncated script\n");
            exit(2);
        }
        return v;
    }
    void bytes(void* p, size_t n) {
        if (n && fread(p, 1, n, f) != n) {
            fprintf(stderr, "EMU ERROR: truncated script\n");
            exit(2);
        }
    }
};

struct Buffer {
    unsigned long long fake, bytes;
    unsigned char* mem;
    bool out;
};

std::vector<Buffer> g_buffers;

// The real address for a made-up device address (an address inside a buffer, or one past its end), or null.
bool translate(unsigned long long fake, unsigned long long& real) {
    if (fake == 0) {
        real = 0;
        return true;
    }
    for (const Buffer& b : g_buffers) {
        if (fake >= b.fake && fake <= b.fake + b.bytes) {
            real = (unsigned long long)(uintptr_t)b.mem + (fake - b.fake);
            return true;
        }
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 2 && std::string(argv[1]) == "--list") {
        for (auto& [name, e] : emu::registry()) printf("%s %s\n", name.c_str(), e.kinds.c_str());
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: %s SCRIPT OUT | --list\n", argv[0]);
        return 2;
    }
    FILE* f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    Reader r{f};
    char magic[8];
    r.bytes(magic, 8);
    if (std::memcmp(magic, "HGEMU01\n", 8) != 0) {
        fprintf(stderr, "EMU ERROR: not an emulation script\n");
        return 2;
    }
    const unsigned nbuf = r.get<unsigned>();
    std::vector<bool> reloc(nbuf);
    for (unsigned i = 0; i < nbuf; ++i) {
        Buffer b;
        b.fake = r.get<unsigned long long>();
        b.bytes = r.get<unsigned long long>();
        const unsigned char flags = r.get<unsigned char>();
        b.out = flags & 4;
        reloc[i] = flags & 2;
        void* p = nullptr;
        if (posix_memalign(&p, 256, b.bytes) != 0) {  // exactly b.bytes: AddressSanitizer knows the end
            fprintf(stderr, "EMU ERROR: cannot allocate %llu bytes\n", b.bytes);
            return 2;
        }
        b.mem = static_cast<unsigned char*>(p);
        if (flags & 1) r.bytes(b.mem, b.bytes);
        else std::memset(b.mem, 0xff, b.bytes);  // NaN: an element nobody writes shows
        g_buffers.push_back(b);
    }
    // Tables of device addresses (KV segments in attention plans, rope destinations) get real addresses.
    for (unsigned i = 0; i < nbuf; ++i) {
        if (!reloc[i]) continue;
        Buffer& b = g_buffers[i];
        for (unsigned long long o = 0; o + 8 <= b.bytes; o += 8) {
            unsigned long long v, real;
            std::memcpy(&v, b.mem + o, 8);
            if (v >= (1ull << 44) && translate(v, real)) std::memcpy(b.mem + o, &real, 8);
        }
    }
    const unsigned nops = r.get<unsigned>();
    for (unsigned op = 0; op < nops; ++op) {
        const unsigned char type = r.get<unsigned char>();
        if (type == 1) {
            const unsigned short len = r.get<unsigned short>();
            std::string name(len, '\0');
            r.bytes(name.data(), len);
            dim3 grid, block;
            grid.x = r.get<unsigned>();
            grid.y = r.get<unsigned>();
            grid.z = r.get<unsigned>();
            block.x = r.get<unsigned>();
            const unsigned long long smem = r.get<unsigned long long>();
            const unsigned nargs = r.get<unsigned>();
            std::string kinds;
            std::vector<unsigned long long> vals(nargs);
            for (unsigned a = 0; a < nargs; ++a) {
                kinds.push_back((char)r.get<unsigned char>());
                vals[a] = r.get<unsigned long long>();
            }
            auto it = emu::registry().find(name);
            if (it == emu::registry().end()) {
                fprintf(stderr, "EMU ERROR: no kernel %s in this build\n", name.c_str());
                return 3;
            }
            const emu::Entry& e = it->second;
            if (kinds.size() != e.kinds.size()) {
                fprintf(stderr, "EMU ERROR: %s takes %zu parameters (%s) but the host passes %zu (%s)\n", name.c_str(),
                        e.kinds.size(), e.kinds.c_str(), kinds.size(), kinds.c_str());
                return 4;
            }
            // Each argument in a slot of its parameter's type, as cuLaunchKernel reads them.
            std::vector<unsigned long long> slots(nargs);
            std::vector<void*> argv2(nargs);
            for (unsigned a = 0; a < nargs; ++a) {
                if (kinds[a] != e.kinds[a]) {
                    fprintf(stderr, "EMU ERROR: %s parameter %u is '%c' but the host passes '%c' (p pointer, i int32, l int64, f float)\n",
                            name.c_str(), a, e.kinds[a], kinds[a]);
                    return 4;
                }
                unsigned long long v = vals[a];
                if (kinds[a] == 'p' && !translate(v, v)) {
                    fprintf(stderr, "EMU ERROR: %s parameter %u: address 0x%llx is in no buffer\n", name.c_str(), a, vals[a]);
                    return 4;
                }
                slots[a] = v;
                argv2[a] = &slots[a];
            }
            fprintf(stderr, "[emu] %s grid (%u,%u,%u) block %u smem %llu\n", name.c_str(), grid.x, grid.y, grid.z, block.x, smem);
            const int rc = emu::launch(e, name, grid, block, (size_t)smem, argv2.data());
            if (rc != 0) return rc;
        } else if (type == 2) {
            const unsigned bi = r.get<unsigned>(), bits = r.get<unsigned>();
            const unsigned long long off = r.get<unsigned long long>(), count = r.get<unsigned long long>();
            Buffer& b = g_buffers.at(bi);
            if ((off + count) * 4 > b.bytes) {
                fprintf(stderr, "EMU ERROR: fill past the end of buffer %u\n", bi);
                return 4;
            }
            for (unsigned long long w = 0; w < count; ++w) std::memcpy(b.mem + 4 * (off + w), &bits, 4);
        } else {
            fprintf(stderr, "EMU ERROR: unknown operation %u\n", type);
            return 2;
        }
    }
    fclose(f);
    FILE* o = fopen(argv[2], "wb");
    if (!o) {
        perror(argv[2]);
        return 2;
    }
    for (const Buffer& b : g_buffers) {
        if (b.out && fwrite(b.mem, 1, b.bytes, o) != b.bytes) {
            perror(argv[2]);
            return 2;
        }
    }
    fclose(o);
    for (Buffer& b : g_buffers) std::free(b.mem);
    return 0;
}
