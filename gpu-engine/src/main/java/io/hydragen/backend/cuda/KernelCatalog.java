package io.hydragen.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * What the hydragen-kernels jar holds (its {@code kernels.properties}, written by kernels/build-ptx.sh) and which
 * compiled image of a family suits a device. Pure logic over resource names, so the choice is tested without a GPU.
 *
 * <p>Order of preference for compute capability X.Y:
 * <ul>
 *   <li>9.0 (Hopper): sm_90a (families that use wgmma/setmaxnreg) cubin then PTX; sm_90 cubin, sm_90 PTX; sm_80 PTX.</li>
 *   <li>8.x (Ampere, Ada): sm_80 cubin (SASS runs on later minors of a major), sm_80 PTX.</li>
 *   <li>newer majors (Blackwell and on): sm_90 PTX then sm_80 PTX, compiled by the driver; an sm_90a image is
 *       never forward compatible and a cubin never crosses majors.</li>
 *   <li>below 8.0: nothing (bf16 tensor-core instructions need sm_80).</li>
 * </ul>
 */
public final class KernelCatalog {
    static final String RESOURCE_ROOT = "io/hydragen/kernels/";
    static final String MANIFEST = RESOURCE_ROOT + "kernels.properties";

    /** Every family the CUDA backend uses; a packaged jar that lacks one is reported as incomplete. */
    public static final List<String> REQUIRED_FAMILIES = List.of("embedding", "rmsnorm", "rope", "activation", "gemm",
            "prefix_attention", "prefill_attention", "decode_attention", "merge", "sampling");

    private final Set<String> families;
    private final Set<String> hopperFamilies;
    private final String nvccVersion;
    private final Predicate<String> exists;

    KernelCatalog(Set<String> families, Set<String> hopperFamilies, String nvccVersion, Predicate<String> exists) {
        this.families = families;
        this.hopperFamilies = hopperFamilies;
        this.nvccVersion = nvccVersion;
        this.exists = exists;
    }

    /**
     * The catalog on the class path, or null when no kernels are packaged (the jar was built without nvcc).
     */
    public static KernelCatalog fromClassPath() {
        ClassLoader cl = KernelCatalog.class.getClassLoader();
        try (InputStream in = cl.getResourceAsStream(MANIFEST)) {
            if (in == null) return null;
            Properties p = new Properties();
            p.load(in);
            return new KernelCatalog(split(p.getProperty("families", "")), split(p.getProperty("hopper.families", "")),
                    p.getProperty("nvcc.version", "?"), name -> cl.getResource(name) != null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + MANIFEST, e);
        }
    }

    /** Why no kernels can be used, or null when the packaged set is complete. */
    public static String problem(KernelCatalog catalog) {
        if (catalog == null) {
            return "no CUDA kernels packaged: hydragen-kernels was built where nvcc was not on the PATH";
        }
        List<String> missing = new ArrayList<>();
        for (String f : REQUIRED_FAMILIES) if (!catalog.families.contains(f)) missing.add(f);
        return missing.isEmpty() ? null : "CUDA kernels incomplete: missing families " + missing;
    }

    private static Set<String> split(String csv) {
        Set<String> s = new TreeSet<>();
        for (String x : csv.split(",")) if (!x.isBlank()) s.add(x.trim());
        return s;
    }

    public Set<String> families() { return families; }

    public String nvccVersion() { return nvccVersion; }

    /** Images of {@code family} to try on a device of compute capability major.minor, best first. */
    public List<KernelImage> candidates(String family, int major, int minor) {
        List<KernelImage> all = new ArrayList<>();
        if (major < 8) return all;
        if (major == 9 && minor == 0) {
            if (hopperFamilies.contains(family)) {
                all.add(KernelImage.of(family, "sm_90a", KernelImage.Kind.CUBIN));
                all.add(KernelImage.of(family, "sm_90a", KernelImage.Kind.PTX));
            }
            all.add(KernelImage.of(family, "sm_90", KernelImage.Kind.CUBIN));
            all.add(KernelImage.of(family, "sm_90", KernelImage.Kind.PTX));
            all.add(KernelImage.of(family, "sm_80", KernelImage.Kind.PTX));
        } else if (major == 8) {
            all.add(KernelImage.of(family, "sm_80", KernelImage.Kind.CUBIN));
            all.add(KernelImage.of(family, "sm_80", KernelImage.Kind.PTX));
        } else {
            all.add(KernelImage.of(family, "sm_90", KernelImage.Kind.PTX));
            all.add(KernelImage.of(family, "sm_80", KernelImage.Kind.PTX));
        }
        all.removeIf(img -> !exists.test(img.resource()));
        return all;
    }

    @Override
    public String toString() {
        return "kernels " + families + " (nvcc " + nvccVersion + (hopperFamilies.isEmpty() ? "" : ", sm_90a: " + hopperFamilies) + ")";
    }

    static KernelCatalog forTest(String[] families, String[] hopper, Predicate<String> exists) {
        return new KernelCatalog(new TreeSet<>(Arrays.asList(families)), new TreeSet<>(Arrays.asList(hopper)), "test", exists);
    }
}
