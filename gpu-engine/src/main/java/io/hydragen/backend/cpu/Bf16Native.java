package io.hydragen.backend.cpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The AVX512_BF16 matrix kernel ({@code src/main/native/bf16_gemm.cpp}), compiled by g++ when the engine is built and
 * packaged as a resource. It is loaded once, from a private temporary copy; where it is missing (no g++ at build time,
 * not Linux x86-64) or the CPU lacks AVX512_BF16, {@link #available()} is false and BF16 weights are widened to fp32
 * panels for OpenBLAS instead ({@link Bf16Matrix#widen}).
 */
final class Bf16Native {
    private static final String RESOURCE = "/io/hydragen/backend/cpu/native/linux-x86_64/libhydragen_bf16.so";
    private static final String REASON = load();
    private static final String AMX_REASON = loadAmx();

    private Bf16Native() {}

    /** True when the kernels can run here. */
    static boolean available() { return REASON == null; }

    /** Why the kernels cannot run here, or null when they can. */
    static String unavailableReason() { return REASON; }

    /** True when the AMX-BF16 tile products run here (attention over bf16 KV). */
    static boolean amxAvailable() { return AMX_REASON == null; }

    /** Why the AMX tile products cannot run here, or null when they can. */
    static String amxUnavailableReason() { return AMX_REASON; }

    private static String loadAmx() {
        if (REASON != null) return REASON;
        if (!Boolean.parseBoolean(System.getProperty("hydragen.amx", "true"))) return "disabled by -Dhydragen.amx=false";
        try {
            return amxInit() == 1 ? null : "this CPU lacks AMX-BF16, or Linux did not grant the tile state";
        } catch (UnsatisfiedLinkError e) {
            return "this build's kernel has no AMX products: " + e.getMessage();
        }
    }

    private static String load() {
        if (Boolean.getBoolean("hydragen.bf16.nonative")) return "disabled by -Dhydragen.bf16.nonative=true";
        String os = System.getProperty("os.name", ""), arch = System.getProperty("os.arch", "");
        if (!os.startsWith("Linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) return "no BF16 kernel for " + os + " " + arch;
        try (InputStream in = Bf16Native.class.getResourceAsStream(RESOURCE)) {
            if (in == null) return "this build has no BF16 kernel (g++ was not found when the engine was built)";
            Path dir = Files.createTempDirectory("hydragen-bf16");
            Path lib = dir.resolve("libhydragen_bf16.so");
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
            System.load(lib.toString());
            lib.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
        } catch (IOException | UnsatisfiedLinkError | SecurityException e) {
            return "the BF16 kernel did not load: " + e;
        }
        return supported() == 1 ? null : "this CPU lacks AVX512_BF16 (or AVX-512 F/BW/VL)";
    }

    /** 1 when the CPU has AVX-512 F, BW, VL and BF16. */
    private static native int supported();

    /**
     * One row's new keys and values of every KV head into their slot of a bf16 KV segment (bf16_kv_write.cpp): head h's
     * d floats at keySrc/valueSrc + 4·h·d bytes, its slot's dim 0 at keyDst/valueDst + 2·h·keyHead/valueHead bytes.
     */
    static native void writeKvSlot(long keySrc, long valueSrc, int heads, int d, long keyDst, long keyHead, long valueDst, long valueHead,
                                   long valueBlock);

    /**
     * dst [m × ceil(k/2)] bf16 pairs from src [m × k] fp32 (row stride lda), rounded to nearest even; with dstLo not 0,
     * the low parts bf16(a − hi) in the same layout there ({@link Bf16Split}).
     */
    static native void packRows(long src, int lda, int m, int k, long dst, long dstLo);

    /**
     * C[:, j0:j1) = A · W[j0:j1)ᵀ, A packed by {@link #packRows} (its low parts at aLo, or 0: then the products of both
     * go into the same accumulators), W a {@link Bf16Matrix}'s data; j0 % 16 == 0.
     */
    static native void gemm(long aPacked, long aLo, int m, int k, long wPacked, int j0, int j1, long c, int ldc);

    /** 1 when the CPU has AMX-TILE and AMX-BF16 and Linux granted the process the tile state (asked once). */
    private static native int amxInit();

    /**
     * s[m × ·] = Q · Kᵀ over key slots [x0, x1) of one head on AMX tiles, x0 % 16 == 0, whole 16-slot blocks written
     * (column j = slot x0 + j): q bf16 rows qStride bytes apart, k the head's keys in {@link Bf16KvLayout}; m % 32 == 0,
     * d % 32 == 0.
     */
    /**
     * C[0:m, j0:j1) = A · W[j0:j1)ᵀ on AMX tiles, A packed by {@link #packRows} with room for m rounded up to 32 rows
     * (read, not used), W a {@link Bf16Matrix}'s data; k % 32 == 0, j0 % 16 == 0, j1 % 16 == 0.
     */
    static native void amxGemm(long aPacked, long aLo, int m, int k, long wPacked, int j0, int j1, long c, int ldc);

    static native void amxScores(long q, long qLo, int qStride, int m, int d, long k, int x0, int x1, long s, int lds);

    /**
     * o[m × d] += P · V over key slots [2·pair0, 2·pair0 + 32·chunks) of one head on AMX tiles: p bf16 rows pStride
     * bytes apart starting at slot 2·pair0, v the head's values in {@link Bf16KvLayout}; m % 32 == 0, d % 32 == 0.
     */
    static native void amxValues(long p, long pLo, int pStride, int m, int chunks, long v, int slotPairs, int pair0, int d, long o, int ldo);

    /**
     * maxOut[i] = toLog2 · the largest of row i's visible scores s[i][shift, shift + visible[i]) (-inf when none),
     * rows lds floats apart; visible is m ints, maxOut m floats.
     */
    static native void tileMax(long s, int lds, int m, int shift, long visible, float toLog2, long maxOut);

    /**
     * Row i's probabilities 2^(toLog2·s - k[i]) (k[i] an integer: the row's running exponent) over its visible
     * columns, zeros elsewhere in [0, 2·pairs), into p as bf16 rows of 2·pairs values (the layout {@link #packRows}
     * gives), and the sum of those bf16 values into sumOut[i]; with pLo not 0, each value's low part there too, summed
     * with the high parts.
     */
    static native void expPack(long s, int lds, int m, int shift, long visible, float toLog2, long k, long sumOut, long p, long pLo, int pairs);

    /**
     * o[m × d] (row stride ldo) += P · V over key slots [2·pair0, 2·pair0 + 2·pairs) of one KV head: P packed by
     * {@link #packRows} with row stride lda pairs, v the head's values in {@link Bf16KvLayout}'s value layout of
     * slotPairs pairs per 16-dim block; pLo: P's low parts (or 0), as in the products above.
     */
    static native void accumulateValues(long pPacked, long pLo, int lda, int m, int pairs, long v, int slotPairs, int pair0, int d, long o, int ldo);
}
