// The emulated device: kernel registry, block/warp execution (a block's threads as fibers), and the script
// runner that the Java tests (gpu-engine/src/test/java/io/hydragen/backend/cuda/Emu*) drive.
//
//   hydragen_emu SCRIPT OUT
// SCRIPT (little-endian) holds the buffers (made-up device address, size, contents) and the operations
// (kernel launches with the exact grid, block, dynamic shared bytes and arguments the host wrappers passed,
// and 32-bit fills); OUT receives the final contents of the buffers marked as outputs.
// Buffers are separate heap blocks of exactly their size, so AddressSanitizer reports any access outside one.
#include "cuda_emu.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#include <vector>

#include "emu_registry.h"

namespace emu {

namespace {
std::string g_kernel = "(none)";
}

void fail(const char* fmt, ...) {
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

// ---- fibers ----------------------------------------------------------------------------------------------
// The threads of a block run as fibers (ucontext) on one host thread, switching only where a GPU thread would
// wait for others: __syncthreads, warp collectives, the end of a block. The scheduler resumes runnable fibers in
// thread order; if none is runnable while some wait, the kernel would hang on the GPU: that is reported.

constexpr size_t FIBER_STACK = 512 * 1024;

// Switching: a few instructions that save the callee-saved registers and swap stacks on x86-64 (swapcontext
// makes two system calls per switch for the signal mask, which dominated the run time); ucontext elsewhere.
#if defined(__x86_64__)
extern "C" void emu_switch(void** saveSp, void* loadSp);
asm(R"(
    .text
    .globl emu_switch
    .type emu_switch,@function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_switch,.-emu_switch
)");
struct Context { void* sp = nullptr; };
inline void ctx_switch(Context& from, Context& to) { emu_switch(&from.sp, to.sp); }
inline void ctx_make(Context& c, void* stack, size_t size, void (*entry)()) {
    uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + size) & ~(uintptr_t)15;
    void** sp = reinterpret_cast<void**>(top);
    *--sp = nullptr;                          // the entry function's return address: it never returns
    *--sp = reinterpret_cast<void*>(entry);   // where emu_switch's ret goes
    for (int i = 0; i < 6; ++i) *--sp = nullptr;  // rbp, rbx, r12..r15
    c.sp = sp;
}
#else
struct Context { ucontext_t uc; };
inline void ctx_switch(Context& from, Context& to) { swapcontext(&from.uc, &to.uc); }
inline void ctx_make(Context& c, void* stack, size_t size, void (*entry)()) {
    getcontext(&c.uc);
    c.uc.uc_stack.ss_sp = stack;
    c.uc.uc_stack.ss_size = size;
    c.uc.uc_link = nullptr;
    makecontext(&c.uc, entry, 0);
}
#endif

struct Barrier;

struct Copy {
    void* dst;
    unsigned char data[16];
};

struct Fiber {
    unsigned tid = 0;
    Context ctx;
    void* stack = nullptr;
    bool runnable = true, done = false;
    const Barrier* waitingAt = nullptr;
    std::vector<Copy> open;                  // cp.async issued, not yet committed
    std::vector<std::vector<Copy>> groups;   // committed, oldest first
    void* fakeStack = nullptr;               // AddressSanitizer's bookkeeping while switched out
};

Context g_scheduler;
Fiber* g_current = nullptr;
const void* g_schedStackBottom = nullptr;
size_t g_schedStackSize = 0;

void switch_to_scheduler(bool finished) {
    Fiber* f = g_current;
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_start_switch_fiber(finished ? nullptr : &f->fakeStack, g_schedStackBottom, g_schedStackSize);
#endif
    ctx_switch(f->ctx, g_scheduler);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(f->fakeStack, nullptr, nullptr);
#endif
    (void)finished;
}

void switch_to_fiber(Fiber* f) {
    g_current = f;
    threadIdx = uint3{f->tid, 0, 0};
#if defined(__SANITIZE_ADDRESS__)
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, f->stack, FIBER_STACK);
#endif
    ctx_switch(g_scheduler, f->ctx);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
    g_current = nullptr;
}

// A barrier of fibers whose expected count drops when a thread exits (exited threads count as arrived).
struct Barrier {
    const char* what = "";
    int expected = 0, arrived = 0;
    std::vector<Fiber*> waiting;

    void reset(int n, const char* w) {
        expected = n;
        arrived = 0;
        waiting.clear();
        what = w;
    }
    void release() {
        for (Fiber* f : waiting) {
            f->runnable = true;
            f->waitingAt = nullptr;
        }
        waiting.clear();
        arrived = 0;
    }
    // Returns once every live thread has arrived; `last` runs in the thread that completes the barrier.
    template <class F>
    void arrive_and_wait(F last) {
        if (++arrived >= expected) {
            last();
            release();
            return;
        }
        Fiber* f = g_current;
        f->runnable = false;
        f->waitingAt = this;
        waiting.push_back(f);
        switch_to_scheduler(false);
    }
    void arrive_and_wait() { arrive_and_wait([] {}); }
    void drop() {
        --expected;
        if (arrived > 0 && arrived >= expected) release();
    }
};

struct Warp {
    Barrier bar;
    alignas(16) unsigned char slots[32][64];
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

void apply(std::vector<Copy>& group) {
    for (Copy& c : group) std::memcpy(c.dst, c.data, 16);
    group.clear();
}

}  // namespace

void syncthreads() { g_block.blockBar.arrive_and_wait(); }

void* dynamic_smem() { return g_block.smem; }

void warp_gather(const void* mine, size_t bytes, void* all) {
    if (bytes > 64) fail("warp collective of %zu bytes per lane", bytes);
    Warp& w = *g_block.warps[threadIdx.x >> 5];
    if (w.bar.expected != 32) {
        fail("warp collective reached by %d live lanes (lanes of this warp returned early)", w.bar.expected);
    }
    std::memcpy(w.slots[threadIdx.x & 31], mine, bytes);
    w.bar.arrive_and_wait();
    for (int l = 0; l < 32; ++l) std::memcpy(static_cast<unsigned char*>(all) + l * bytes, w.slots[l], bytes);
    w.bar.arrive_and_wait();  // nobody overwrites a slot before every lane has read it
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
    g_current->open.push_back(c);
}

void cp_async_commit() {
    g_current->groups.push_back(std::move(g_current->open));
    g_current->open.clear();
}

void cp_async_wait(int pending) {
    auto& gs = g_current->groups;
    while ((int)gs.size() > pending) {
        apply(gs.front());
        gs.erase(gs.begin());
    }
}

// ---- launches --------------------------------------------------------------------------------------------

namespace {

struct LaunchState {
    const Entry* e;
    void** args;
    dim3 grid;
    unsigned long long blocks;
    size_t smemBytes;
};
LaunchState g_launch;

void start_block() {
    BlockState& b = g_block;
    b.blockBar.reset((int)b.threads, "__syncthreads");
    for (auto& w : b.warps) w->bar.reset(32, "a warp collective");
    std::free(b.smem);
    b.smemBytes = g_launch.smemBytes;
    // Exactly the launch's bytes (AddressSanitizer knows the end), NaN everywhere: reading what nobody wrote shows.
    b.smem = static_cast<unsigned char*>(std::malloc(g_launch.smemBytes));
    if (g_launch.smemBytes) std::memset(b.smem, 0xff, g_launch.smemBytes);
}

void fiber_main() {
    Fiber* f = g_current;
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_finish_switch_fiber(nullptr, &g_schedStackBottom, &g_schedStackSize);
#endif
    const dim3 grid = g_launch.grid;
    for (unsigned long long i = 0; i < g_launch.blocks; ++i) {
        g_launch.e->run(g_launch.args);
        // Copies still in flight complete when the thread exits (as on the device).
        cp_async_commit();
        cp_async_wait(0);
        g_block.blockBar.drop();
        g_block.warps[f->tid >> 5]->bar.drop();
        g_block.endBar.arrive_and_wait([&] {
            if (i + 1 < g_launch.blocks) {
                start_block();
                const unsigned long long n = i + 1;
                blockIdx = uint3{(unsigned)(n % grid.x), (unsigned)((n / grid.x) % grid.y),
                                 (unsigned)(n / ((unsigned long long)grid.x * grid.y))};
            }
        });
    }
    f->done = true;
    f->runnable = false;
    switch_to_scheduler(true);
}

}  // namespace

int launch(const Entry& e, const std::string& name, dim3 grid, dim3 block, size_t smemBytes, void** args) {
    if (block.y != 1 || block.z != 1) fail("only 1-D blocks are emulated");
    if (block.x == 0 || block.x > 1024 || block.x % 32 != 0) {
        fprintf(stderr, "EMU ERROR: launch of %s with %u threads per block (must be a multiple of 32, at most 1024)\n",
                name.c_str(), block.x);
        return 2;
    }
    g_kernel = name;
    const unsigned n = block.x;
    g_launch = LaunchState{&e, args, grid, (unsigned long long)grid.x * grid.y * grid.z, smemBytes};
    BlockState& b = g_block;
    b.threads = n;
    b.warps.clear();
    for (unsigned w = 0; w < n / 32; ++w) b.warps.emplace_back(new Warp());
    start_block();
    b.endBar.reset((int)n, "the end of the block");
    blockIdx = uint3{0, 0, 0};
    blockDim = block;
    gridDim = grid;

    std::vector<Fiber> fibers(n);
    for (unsigned tid = 0; tid < n; ++tid) {
        Fiber& f = fibers[tid];
        f.tid = tid;
        f.stack = mmap(nullptr, FIBER_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (f.stack == MAP_FAILED) fail("cannot map a fiber stack");
        ctx_make(f.ctx, f.stack, FIBER_STACK, fiber_main);
    }
    for (;;) {
        bool ran = false, all = true;
        // Threads run in increasing order in even blocks and decreasing order in odd ones: a result that depends
        // on the order of threads between two barriers (a race) then differs between blocks.
        const bool reverse = (blockIdx.x + blockIdx.y + blockIdx.z) & 1u;
        for (unsigned k = 0; k < n; ++k) {
            Fiber& f = fibers[reverse ? n - 1 - k : k];
            if (f.done) continue;
            all = false;
            if (!f.runnable) continue;
            switch_to_fiber(&f);
            ran = true;
        }
        if (all) break;
        if (!ran) {
            int waiting = 0;
            const char* at = "?";
            unsigned tid = 0;
            for (Fiber& f : fibers) {
                if (!f.done && f.waitingAt) {
                    if (!waiting++) { at = f.waitingAt->what; tid = f.tid; }
                }
            }
            threadIdx = uint3{tid, 0, 0};
            fail("deadlock: %d threads wait forever (thread %u at %s) while the others have exited or wait elsewhere",
                 waiting, tid, at);
        }
    }
    for (Fiber& f : fibers) {
#if defined(__SANITIZE_ADDRESS__)
        __asan_unpoison_memory_region(f.stack, FIBER_STACK);  // frames that never returned leave poison behind
#endif
        munmap(f.stack, FIBER_STACK);
    }
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
