package io.hydragen.backend.cuda;

import io.hydragen.backend.cuda.reference.Bf16;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The emulated device, as a {@link KernelSource}: the production host wrappers (EmbeddingKernel, GemmKernel,
 * AttentionRunner's kernels…) launch through it exactly as on a GPU, and each launch is recorded with its grid,
 * block, dynamic shared bytes (the host's own formula) and argument values, read from the {@link Kernel.Args} the
 * wrapper built. Buffers are {@link DeviceBuffer}s with made-up device addresses and host contents. {@link #run()}
 * writes the whole sequence as a script for the emulation runner ({@link EmuBuild}), which executes the real
 * kernels on the CPU under AddressSanitizer and returns the final contents of every buffer.
 */
final class EmuDevice implements KernelSource {
    private static final long BASE = 1L << 44, SPAN = 1L << 36;
    private static final long TIMEOUT_SECONDS = Long.getLong("hydragen.emu.timeoutSeconds", 300);
    private static final Field NATIVE_POINTER = field(NativePointerObject.class, "nativePointer");
    private static final Field BYTE_OFFSET = field(Pointer.class, "byteOffset");
    private static final Field BUFFER = field(Pointer.class, "buffer");
    private static final Field POINTERS = field(Pointer.class, "pointers");
    private static final Field PARAMS = field(Kernel.Args.class, "params");

    private final class Buf {
        final DeviceBuffer db;
        final long fake, bytes;
        byte[] init, result;
        boolean addressTable;

        Buf(DeviceBuffer db, long fake, long bytes) {
            this.db = db;
            this.fake = fake;
            this.bytes = bytes;
        }
    }

    private record Launch(String entry, int gx, int gy, int gz, int bx, int smem, String kinds, long[] values) {}

    private record Fill(int buffer, int bits, long offset, long count) {}

    private final List<Buf> bufs = new ArrayList<>();
    private final Map<DeviceBuffer, Buf> byBuffer = new IdentityHashMap<>();
    private final List<Object> ops = new ArrayList<>();
    private final DeviceInfo info;
    private final EmuBuild.Mutation mutation;
    private String log = "";

    EmuDevice(int multiprocessors) { this(multiprocessors, null); }

    EmuDevice(int multiprocessors, EmuBuild.Mutation mutation) {
        this.info = new DeviceInfo(true, "", 0, "emulated H100", 9, 0, 80L << 30, multiprocessors, 227 * 1024, 13000);
        this.mutation = mutation;
    }

    @Override
    public DeviceInfo info() { return info; }

    @Override
    public Kernel kernel(String family, String entry) {
        return new Kernel(null, null, entry) {
            @Override
            public void launch(int gx, int gy, int gz, int bx, int smem, Args args) {
                if (gx == 0 || gy == 0 || gz == 0) return;  // as Kernel.launch
                ops.add(new Launch(entry, gx, gy, gz, bx, smem, args.kinds(), values(args)));
            }
        };
    }

    // ---- buffers ----------------------------------------------------------------------------------------------

    DeviceBuffer buffer(long bytes, String what) {
        DeviceBuffer db = DeviceBuffer.unallocated(bytes, what);
        long fake = BASE + bufs.size() * SPAN;
        try {
            NATIVE_POINTER.setLong(db.ptr(), fake);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        Buf b = new Buf(db, fake, bytes);
        bufs.add(b);
        byBuffer.put(db, b);
        return db;
    }

    private DeviceBuffer withBytes(ByteBuffer data, String what) {
        DeviceBuffer db = buffer(data.capacity(), what);
        byBuffer.get(db).init = data.array();
        return db;
    }

    private static ByteBuffer le(int bytes) { return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN); }

    DeviceBuffer floats(float[] v, String what) {
        ByteBuffer b = le(4 * v.length);
        b.asFloatBuffer().put(v);
        return withBytes(b, what);
    }

    DeviceBuffer ints(int[] v, String what) {
        ByteBuffer b = le(4 * Math.max(1, v.length));
        b.asIntBuffer().put(v);
        return withBytes(b, what);
    }

    /** int64 values; {@code addresses}: a table holding device addresses (the runner relocates them). */
    DeviceBuffer longs(long[] v, boolean addresses, String what) {
        ByteBuffer b = le(8 * Math.max(1, v.length));
        b.asLongBuffer().put(v);
        DeviceBuffer db = withBytes(b, what);
        byBuffer.get(db).addressTable = addresses;
        return db;
    }

    DeviceBuffer bf16(float[] v, String what) { return shorts(Bf16.bits(v), what); }

    DeviceBuffer shorts(short[] v, String what) {
        ByteBuffer b = le(2 * v.length);
        b.asShortBuffer().put(v);
        return withBytes(b, what);
    }

    /** A float buffer of NaN, so an element the kernel forgets to write shows (uninitialised buffers are NaN too). */
    DeviceBuffer poisoned(long floats, String what) {
        DeviceBuffer db = buffer(4 * floats, what);
        fill32(db, 0x7fc00000, 0, floats);
        return db;
    }

    /** As {@link DeviceBuffer#fill32}, in order with the launches. */
    void fill32(DeviceBuffer db, int bits, long offset, long count) {
        ops.add(new Fill(bufs.indexOf(byBuffer.get(db)), bits, offset, count));
    }

    // ---- running ----------------------------------------------------------------------------------------------

    /** Executes everything recorded since the last run; buffers keep their contents for later runs. */
    void run() {
        Path exe = EmuBuild.runner(mutation);
        try {
            Path dir = Files.createDirectories(EmuBuild.workDir().resolve("runs"));
            Path script = Files.createTempFile(dir, "script", ".bin"), out = Files.createTempFile(dir, "out", ".bin");
            try {
                try (DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(script), 1 << 16))) {
                    writeScript(o);
                }
                Path logFile = Files.createTempFile(dir, "log", ".txt");
                ProcessBuilder pb = new ProcessBuilder(exe.toString(), script.toString(), out.toString()).redirectErrorStream(true)
                        .redirectOutput(logFile.toFile());
                // Leaks are not what these tests look for, and LeakSanitizer fails outright under ptrace (some CI sandboxes).
                pb.environment().merge("ASAN_OPTIONS", "detect_leaks=0", (a, b) -> a + ":" + b);
                pb.environment().putIfAbsent("UBSAN_OPTIONS", "print_stacktrace=1");
                Process p = pb.start();
                boolean finished = p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                if (!finished) {
                    p.destroyForcibly();
                    p.waitFor();
                }
                log = Files.readString(logFile, StandardCharsets.UTF_8);
                Files.deleteIfExists(logFile);
                if (!finished) fail("emulated kernels still running after " + TIMEOUT_SECONDS + " s (an endless loop?):\n" + tail(log, 4000));
                if (p.exitValue() != 0) {
                    throw new AssertionError("emulated kernels failed (exit " + p.exitValue() + "):\n" + tail(log, 12000));
                }
                ByteBuffer res = ByteBuffer.wrap(Files.readAllBytes(out));
                for (Buf b : bufs) {
                    b.result = new byte[(int) b.bytes];
                    res.get(b.result);
                    b.init = b.addressTable ? b.init : b.result;  // the next run starts from here (tables keep made-up addresses)
                }
                ops.clear();
            } finally {
                Files.deleteIfExists(script);
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The runner's log of the last run (one line per launch). */
    String log() { return log; }

    private static String tail(String s, int n) { return s.length() <= n ? s : "…" + s.substring(s.length() - n); }

    private void writeScript(DataOutputStream o) throws IOException {
        o.write("HGEMU01\n".getBytes(StandardCharsets.US_ASCII));
        ByteBuffer hdr = le(32);
        o.write(le(4).putInt(bufs.size()).array());
        for (Buf b : bufs) {
            hdr.clear();
            hdr.putLong(b.fake).putLong(b.bytes);
            o.write(hdr.array(), 0, 16);
            int flags = (b.init != null ? 1 : 0) | (b.addressTable ? 2 : 0) | 4;
            o.write(flags);
            if (b.init != null) o.write(b.init);
        }
        o.write(le(4).putInt(ops.size()).array());
        for (Object op : ops) {
            if (op instanceof Launch l) {
                o.write(1);
                byte[] name = l.entry.getBytes(StandardCharsets.US_ASCII);
                o.write(le(2).putShort((short) name.length).array());
                o.write(name);
                ByteBuffer b = le(4 * 4 + 8 + 4);
                b.putInt(l.gx).putInt(l.gy).putInt(l.gz).putInt(l.bx).putLong(l.smem).putInt(l.kinds.length());
                o.write(b.array());
                for (int i = 0; i < l.kinds.length(); i++) {
                    o.write(l.kinds.charAt(i));
                    o.write(le(8).putLong(l.values[i]).array());
                }
            } else if (op instanceof Fill f) {
                o.write(2);
                o.write(le(24).putInt(f.buffer).putInt(f.bits).putLong(f.offset).putLong(f.count).array());
            }
        }
    }

    // ---- results ----------------------------------------------------------------------------------------------

    private ByteBuffer result(DeviceBuffer db) {
        Buf b = byBuffer.get(db);
        if (b == null || b.result == null) throw new IllegalStateException("no result for " + db + " (not run yet?)");
        return ByteBuffer.wrap(b.result).order(ByteOrder.LITTLE_ENDIAN);
    }

    float[] readFloats(DeviceBuffer db, int n) {
        float[] out = new float[n];
        result(db).asFloatBuffer().get(out);
        return out;
    }

    int[] readInts(DeviceBuffer db, int n) {
        int[] out = new int[n];
        result(db).asIntBuffer().get(out);
        return out;
    }

    float[] readBf16(DeviceBuffer db, int n) {
        short[] raw = new short[n];
        result(db).asShortBuffer().get(raw);
        return Bf16.floats(raw);
    }

    // ---- the arguments a wrapper built --------------------------------------------------------------------------

    /** Raw 64-bit values of the arguments (pointers as device addresses, int32/float32 as their bits). */
    private static long[] values(Kernel.Args args) {
        try {
            @SuppressWarnings("unchecked")
            List<Pointer> params = (List<Pointer>) PARAMS.get(args);
            String kinds = args.kinds();
            long[] v = new long[params.size()];
            for (int i = 0; i < v.length; i++) {
                Pointer p = params.get(i);
                switch (kinds.charAt(i)) {
                    case 'p' -> {
                        CUdeviceptr d = (CUdeviceptr) ((NativePointerObject[]) POINTERS.get(p))[0];
                        v[i] = NATIVE_POINTER.getLong(d) + BYTE_OFFSET.getLong(d);
                    }
                    case 'i' -> v[i] = ((IntBuffer) BUFFER.get(p)).get(0) & 0xffffffffL;
                    case 'l' -> v[i] = ((LongBuffer) BUFFER.get(p)).get(0);
                    case 'f' -> v[i] = Float.floatToRawIntBits(((FloatBuffer) BUFFER.get(p)).get(0)) & 0xffffffffL;
                    default -> throw new IllegalStateException("argument kind " + kinds.charAt(i));
                }
            }
            return v;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Field field(Class<?> c, String name) {
        try {
            Field f = c.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("JCuda internals changed: " + c.getName() + "." + name, e);
        }
    }
}
