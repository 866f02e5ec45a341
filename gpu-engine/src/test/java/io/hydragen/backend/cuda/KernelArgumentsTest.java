package io.hydragen.backend.cuda;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The host/device ABI without a GPU: every host wrapper is run against a recording kernel source, and the
 * arguments it would pass (count, and pointer/int64 vs int32 vs float32) are checked against the parameters the
 * packaged PTX declares for that entry; launch shapes are checked against the device's limits.
 */
class KernelArgumentsTest {
    private record Launch(String family, String entry, int gx, int gy, int gz, int block, int smem, String kinds) {}

    private static final class Recorder implements KernelSource {
        final List<Launch> launches = new ArrayList<>();
        final DeviceInfo info = new DeviceInfo(true, "", 0, "recording H100", 9, 0, 80L << 30, 132, 227 * 1024, 13000);

        @Override
        public Kernel kernel(String family, String entry) {
            return new Kernel(null, null, entry) {
                @Override
                public void launch(int gx, int gy, int gz, int bx, int smem, Args args) {
                    launches.add(new Launch(family, entry, gx, gy, gz, bx, smem, args.kinds()));
                }
            };
        }

        @Override
        public DeviceInfo info() { return info; }
    }

    @BeforeAll
    static void kernelsPackaged() {
        assumeTrue(KernelCatalog.fromClassPath() != null, "kernels jar built without nvcc");
    }

    private static DeviceBuffer buf(long bytes) { return DeviceBuffer.unallocated(bytes, "test"); }

    private static String ptx(String family) throws IOException {
        try (InputStream in = KernelArgumentsTest.class.getClassLoader()
                .getResourceAsStream(KernelCatalog.RESOURCE_ROOT + "sm_90/" + family + ".ptx")) {
            assertNotNull(in, family);
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String kindOf(String ptxType) {
        return switch (ptxType) {
            case "u64", "s64", "b64" -> "pl";
            case "u32", "s32", "b32" -> "i";
            case "f32" -> "f";
            default -> "?" + ptxType;
        };
    }

    @Test
    void everyWrapperPassesWhatItsEntryDeclares() throws IOException {
        Recorder r = new Recorder();
        DeviceBuffer b = buf(1L << 40);
        new EmbeddingKernel(r).launch(b, b, b, 7, 64, 100);
        new RmsNormKernel(r).launch(b, null, b, b, 7, 4096, 1e-5f);
        new RmsNormKernel(r).launch(b, b, b, b, 3, 64, 1e-6f);
        new RopeKernel(r).launch(b, 384, b, b, b, b, 7, 4, 2, 16, 1);
        ActivationKernel act = new ActivationKernel(r);
        act.swiglu(b, b, 7, 176);
        act.residualAdd(b, b, 1000);
        GemmKernel gemm = new GemmKernel(r);
        for (GemmPlan.Tile t : GemmPlan.Tile.values()) {
            gemm.launch(new GemmPlan(t, 64, 4096, 4096, 1, 4096), b, b, 0, b, 4096, null, false, null);
            gemm.launch(new GemmPlan(t, 64, 4096, 4096, 4, 1024), b, b, 0, b, 4096, b, true, b);
        }
        for (int d : new int[] {16, 32, 64, 128}) {
            AttentionShape s = new AttentionShape(32, 8, d);
            new PrefixAttentionKernel(r).launch(s, b, b, 10, b, b, b, b, 256, 3);
            new PrefillAttentionKernel(r).launch(s, b, b, 10, b, b, b, b, b, 256, 3);
        }
        for (int d : new int[] {16, 32, 64, 128, 256}) {
            AttentionShape s = new AttentionShape(8, 1, d);
            int chunk = new AttentionPlanner(s, 132, true).decodeChunk();
            new DecodeAttentionKernel(r).launch(s, b, b, 5, b, b, 256, chunk, 0);
        }
        new MergeKernel(r).launch(b, b, 9, 256, 32, 128, b, null);
        SamplingKernel sampling = new SamplingKernel(r);
        SamplingKernel.RowBuffers x = new SamplingKernel.RowBuffers(b, b, b, b);
        sampling.argmax(b, 128256, 4, x, b);
        sampling.sample(b, 128256, 4, b, b, b, b, b, x, b);

        Set<String> seen = new HashSet<>();
        for (Launch l : r.launches) {
            List<String> params = PtxEntries.params(ptx(l.family), l.entry);
            assertNotNull(params, l.family + " has no entry " + l.entry);
            assertEquals(params.size(), l.kinds.length(), l.entry + ": " + l.kinds.length() + " arguments for " + params + " parameters");
            for (int i = 0; i < params.size(); i++) {
                assertTrue(kindOf(params.get(i)).indexOf(l.kinds.charAt(i)) >= 0,
                        l.entry + " parameter " + i + " is ." + params.get(i) + " but the host passes '" + l.kinds.charAt(i) + "'");
            }
            assertTrue(l.block > 0 && l.block <= 1024 && l.block % 32 == 0, l.entry + " block " + l.block);
            assertTrue(l.gx > 0 && l.gy > 0 && l.gy <= 65535 && l.gz > 0 && l.gz <= 65535, l.entry + " grid");
            assertTrue(l.smem <= r.info.maxSharedPerBlockOptin(), l.entry + " shared memory " + l.smem);
            seen.add(l.entry);
        }
        for (List<String> entries : PtxResourcesTest.expectedEntries().values()) {
            for (String e : entries) assertTrue(seen.contains(e), "no wrapper launched " + e);
        }
    }

    @Test
    void paramsParserReadsTypesInOrder() {
        String ptx = ".visible .entry k(\n\t.param .u64 k_param_0,\n\t.param .u32 k_param_1,\n\t.param .f32 k_param_2\n)\n{\n}";
        assertEquals(List.of("u64", "u32", "f32"), PtxEntries.params(ptx, "k"));
        assertEquals(null, PtxEntries.params(ptx, "other"));
    }
}
