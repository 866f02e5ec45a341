package io.hydragen.backend.cuda;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The kernels jar as built here: with nvcc on the PATH every family is packaged as PTX and cubin for sm_80 and
 * sm_90, each PTX declares the entry points the host wrappers launch, and the tensor-core families really use
 * the tensor cores (mma.sync, ldmatrix, cp.async). Without nvcc, the backend says that no kernels are packaged.
 */
class PtxResourcesTest {

    /** Every entry point a host wrapper looks up, by family. */
    static Map<String, List<String>> expectedEntries() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        m.put("embedding", List.of("embedding_gather"));
        m.put("rmsnorm", List.of("rmsnorm"));
        m.put("rope", List.of("rope_qkv"));
        m.put("activation", List.of("swiglu", "residual_add"));
        List<String> gemm = new ArrayList<>();
        for (GemmPlan.Tile t : GemmPlan.Tile.values()) gemm.add(t.entry);
        gemm.add("gemm_splitk_reduce");
        m.put("gemm", gemm);
        List<String> prefix = new ArrayList<>(), prefill = new ArrayList<>(), decode = new ArrayList<>();
        for (int d : new int[] {16, 32, 64, 128}) {
            prefix.add("prefix_attention_d" + d);
            prefill.add("prefill_attention_d" + d);
        }
        for (int d : new int[] {16, 32, 64, 128, 256}) decode.add("decode_attention_d" + d);
        m.put("prefix_attention", prefix);
        m.put("prefill_attention", prefill);
        m.put("decode_attention", decode);
        m.put("merge", List.of("merge_attention"));
        m.put("sampling", List.of("argmax_rows", "sample_rows"));
        return m;
    }

    private static boolean nvccOnPath() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (new File(dir, "nvcc").canExecute()) return true;
        }
        return false;
    }

    private static String text(String resource) throws IOException {
        try (InputStream in = PtxResourcesTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertNotNull(in, "missing resource " + resource);
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void kernelsArePackagedWhereNvccIs() {
        KernelCatalog catalog = KernelCatalog.fromClassPath();
        if (catalog == null) {
            assumeTrue(!nvccOnPath() || Boolean.getBoolean("hydragen.skipNvcc"),
                    "nvcc is on the PATH, so the kernels jar should hold PTX");
            assertTrue(KernelCatalog.problem(null).contains("no CUDA kernels packaged"));
            String why = CudaBackend.unavailableReason(0);
            assertNotNull(why);
            assertTrue(why.contains("no CUDA kernels packaged"), why);
            return;
        }
        assertNull(KernelCatalog.problem(catalog), "every family packaged");
        assertEquals(expectedEntries().keySet(), catalog.families());
    }

    @Test
    void everyPtxDeclaresItsEntryPoints() throws IOException {
        assumeTrue(KernelCatalog.fromClassPath() != null, "kernels jar built without nvcc");
        for (Map.Entry<String, List<String>> e : expectedEntries().entrySet()) {
            for (String arch : List.of("sm_80", "sm_90")) {
                String res = KernelCatalog.RESOURCE_ROOT + arch + "/" + e.getKey() + ".ptx";
                String ptx = text(res);
                assertEquals(arch, PtxEntries.target(ptx), res + " .target");
                assertNotNull(PtxEntries.version(ptx), res + " .version");
                List<String> entries = PtxEntries.entries(ptx);
                for (String name : e.getValue()) assertTrue(entries.contains(name), res + " lacks .entry " + name + ": " + entries);
                assertNotNull(getClass().getClassLoader().getResource(KernelCatalog.RESOURCE_ROOT + arch + "/" + e.getKey() + ".cubin"),
                        arch + " cubin of " + e.getKey());
            }
        }
    }

    @Test
    void tensorCoreFamiliesUseMmaSync() throws IOException {
        assumeTrue(KernelCatalog.fromClassPath() != null, "kernels jar built without nvcc");
        for (String fam : List.of("gemm", "prefix_attention", "prefill_attention")) {
            String ptx = text(KernelCatalog.RESOURCE_ROOT + "sm_90/" + fam + ".ptx");
            assertTrue(ptx.contains("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"), fam + " has bf16 mma.sync");
            assertTrue(ptx.contains("ldmatrix.sync.aligned.m8n8.x4"), fam + " loads fragments with ldmatrix");
            assertTrue(ptx.contains("cp.async.cg.shared.global"), fam + " streams tiles with cp.async");
        }
        assertTrue(text(KernelCatalog.RESOURCE_ROOT + "sm_90/prefix_attention.ptx").contains("ldmatrix.sync.aligned.m8n8.x4.trans"),
                "V fragments are loaded transposed");
        assertFalse(text(KernelCatalog.RESOURCE_ROOT + "sm_90/decode_attention.ptx").contains("mma.sync"),
                "decode attention stays on CUDA cores");
    }
    /** The body of {@code .entry name} in {@code ptx}: from its declaration to the next entry (or the end). */
    static String entryBody(String ptx, String name) {
        int at = ptx.indexOf(".entry " + name + "(");
        assertTrue(at >= 0, "no .entry " + name);
        int next = ptx.indexOf(".entry ", at + 7);
        return ptx.substring(at, next < 0 ? ptx.length() : next);
    }

    /**
     * The decode kernels read K and V with 16-byte non-coherent loads (ld.global.nc.v4), several per thread in
     * flight: not four 4-byte loads (an {@code unpack8} by reference did that) nor generic 16-byte loads.
     */
    @Test
    void decodeKernelsLoadKAndVWith16ByteNonCoherentLoads() throws IOException {
        assumeTrue(KernelCatalog.fromClassPath() != null, "kernels jar built without nvcc");
        for (String arch : List.of("sm_80", "sm_90")) {
            String ptx = text(KernelCatalog.RESOURCE_ROOT + arch + "/decode_attention.ptx");
            for (String entry : expectedEntries().get("decode_attention")) {
                String body = entryBody(ptx, entry);
                long nc = body.lines().filter(l -> l.contains("ld.global.nc.v4")).count();
                // K and V, each unrolled by two, plus the V tail: at least 5 such loads per entry
                assertTrue(nc >= 5, arch + " " + entry + " has " + nc + " ld.global.nc.v4 loads (K and V, unrolled, need >= 5)");
                long scalarGlobal = body.lines().filter(l -> l.matches("\\s*ld\\.global(\\.nc)?\\.(u32|b32|v2\\.u32)\\s.*")).count();
                assertEquals(0, scalarGlobal, arch + " " + entry + ": K/V must not be read with scalar global loads");
            }
        }
    }
}
