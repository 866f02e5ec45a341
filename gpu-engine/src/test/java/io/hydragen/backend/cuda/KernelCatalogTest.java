package io.hydragen.backend.cuda;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which compiled image of a kernel family a device of a given compute capability gets. */
class KernelCatalogTest {
    private static final String[] ALL = KernelCatalog.REQUIRED_FAMILIES.toArray(new String[0]);

    private static List<String> names(List<KernelImage> images) {
        return images.stream().map(KernelImage::toString).toList();
    }

    @Test
    void hopperPrefersItsOwnSass() {
        KernelCatalog c = KernelCatalog.forTest(ALL, new String[0], r -> true);
        assertEquals(List.of("sm_90/gemm.cubin", "sm_90/gemm.ptx", "sm_80/gemm.ptx"), names(c.candidates("gemm", 9, 0)));
    }

    @Test
    void hopperFamiliesTrySm90aFirst() {
        KernelCatalog c = KernelCatalog.forTest(ALL, new String[] {"gemm"}, r -> true);
        assertEquals(List.of("sm_90a/gemm.cubin", "sm_90a/gemm.ptx", "sm_90/gemm.cubin", "sm_90/gemm.ptx", "sm_80/gemm.ptx"),
                names(c.candidates("gemm", 9, 0)));
        assertEquals("sm_90/rope.cubin", names(c.candidates("rope", 9, 0)).get(0));
    }

    @Test
    void ampereAndAdaUseSm80Sass() {
        KernelCatalog c = KernelCatalog.forTest(ALL, new String[] {"gemm"}, r -> true);
        assertEquals(List.of("sm_80/merge.cubin", "sm_80/merge.ptx"), names(c.candidates("merge", 8, 0)));
        assertEquals(List.of("sm_80/gemm.cubin", "sm_80/gemm.ptx"), names(c.candidates("gemm", 8, 9)));
    }

    @Test
    void newerMajorsJitPortablePtxOnly() {
        KernelCatalog c = KernelCatalog.forTest(ALL, new String[] {"gemm"}, r -> true);
        assertEquals(List.of("sm_90/gemm.ptx", "sm_80/gemm.ptx"), names(c.candidates("gemm", 10, 0)));
        assertEquals(List.of("sm_90/gemm.ptx", "sm_80/gemm.ptx"), names(c.candidates("gemm", 12, 0)));
    }

    @Test
    void preAmpereGetsNothing() {
        KernelCatalog c = KernelCatalog.forTest(ALL, new String[0], r -> true);
        assertTrue(c.candidates("gemm", 7, 5).isEmpty());
    }

    @Test
    void missingResourcesAreSkipped() {
        Set<String> present = Set.of("io/hydragen/kernels/sm_80/gemm.ptx");
        KernelCatalog c = KernelCatalog.forTest(ALL, new String[0], present::contains);
        assertEquals(List.of("sm_80/gemm.ptx"), names(c.candidates("gemm", 9, 0)));
    }

    @Test
    void problemsAreNamed() {
        assertTrue(KernelCatalog.problem(null).contains("no CUDA kernels packaged"));
        KernelCatalog partial = KernelCatalog.forTest(new String[] {"gemm", "rope"}, new String[0], r -> true);
        String p = KernelCatalog.problem(partial);
        assertNotNull(p);
        assertTrue(p.contains("merge") && p.contains("sampling"), p);
        assertNull(KernelCatalog.problem(KernelCatalog.forTest(ALL, new String[0], r -> true)));
    }
}
