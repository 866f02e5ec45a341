package io.hydragen.backend.cuda;

import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

/**
 * The packaged kernels loaded onto one device: for every family, the best image the device accepts
 * ({@link KernelCatalog#candidates}) through cuModuleLoadData, and the kernels looked up by name.
 */
public final class KernelLibrary implements KernelSource, AutoCloseable {
    private final CudaDevice device;
    private final Map<String, CUmodule> modules = new LinkedHashMap<>();
    private final Map<String, KernelImage> loaded = new LinkedHashMap<>();
    private final Map<String, Kernel> kernels = new HashMap<>();
    private boolean closed;

    private KernelLibrary(CudaDevice device) {
        this.device = device;
    }

    /**
     * Loads every family the backend needs.
     *
     * @throws CudaException "no CUDA kernels packaged" when the jar was built without nvcc, or naming the images
     *                       tried and the driver's answer for a family no image of which loads
     */
    public static KernelLibrary load(CudaDevice device) {
        KernelCatalog catalog = KernelCatalog.fromClassPath();
        String problem = KernelCatalog.problem(catalog);
        if (problem != null) throw new CudaException(problem);
        device.makeCurrent();
        KernelLibrary lib = new KernelLibrary(device);
        try {
            DeviceInfo info = device.info();
            for (String family : KernelCatalog.REQUIRED_FAMILIES) {
                List<KernelImage> images = catalog.candidates(family, info.ccMajor(), info.ccMinor());
                if (images.isEmpty()) {
                    throw new CudaException("no kernel image of '" + family + "' for compute capability " + info.ccMajor() + "."
                            + info.ccMinor() + " (" + catalog + "; sm_80 or newer is required)");
                }
                List<String> tried = new ArrayList<>();
                for (KernelImage img : images) {
                    CUmodule m = new CUmodule();
                    int r = cuModuleLoadData(m, read(img));
                    if (r == 0) {
                        lib.modules.put(family, m);
                        lib.loaded.put(family, img);
                        break;
                    }
                    tried.add(img + ": " + CudaException.errorName(r));
                }
                if (!lib.modules.containsKey(family)) throw new CudaException("cannot load kernels '" + family + "': " + tried);
            }
            return lib;
        } catch (RuntimeException e) {
            lib.close();
            throw e;
        }
    }

    /** The image bytes; PTX gets the terminating NUL cuModuleLoadData expects of text. */
    private static byte[] read(KernelImage img) {
        try (InputStream in = KernelLibrary.class.getClassLoader().getResourceAsStream(img.resource())) {
            if (in == null) throw new CudaException("kernel resource " + img.resource() + " vanished from the class path");
            byte[] b = in.readAllBytes();
            if (img.kind() == KernelImage.Kind.PTX) {
                byte[] z = new byte[b.length + 1];
                System.arraycopy(b, 0, z, 0, b.length);
                return z;
            }
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + img.resource(), e);
        }
    }

    /** The kernel {@code entry} of {@code family} (a CudaException naming both when it is not there). */
    @Override
    public synchronized Kernel kernel(String family, String entry) {
        if (closed) throw new IllegalStateException("kernel library closed");
        return kernels.computeIfAbsent(family + "/" + entry, k -> {
            CUmodule m = modules.get(family);
            if (m == null) throw new CudaException("kernel family '" + family + "' not loaded");
            CUfunction f = new CUfunction();
            int r = cuModuleGetFunction(f, m, entry);
            if (r != 0) throw new CudaException("kernel " + entry + " not found in " + loaded.get(family), r);
            return new Kernel(device, f, entry);
        });
    }

    /** Which image each family came from ("sm_90/gemm.cubin"), for logs and benchmark reports. */
    public Map<String, KernelImage> images() { return Map.copyOf(loaded); }

    public CudaDevice device() { return device; }

    @Override
    public DeviceInfo info() { return device.info(); }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (!modules.isEmpty()) device.makeCurrent();
        for (CUmodule m : modules.values()) cuModuleUnload(m);
        modules.clear();
    }
}
