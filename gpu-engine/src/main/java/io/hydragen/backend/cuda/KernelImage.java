package io.hydragen.backend.cuda;

/**
 * One compiled form of a kernel family: SASS for exactly one architecture ({@code .cubin}) or PTX that the driver
 * compiles for the device it runs on ({@code .ptx}).
 *
 * @param arch the nvcc target it was built for (sm_80, sm_90, sm_90a)
 * @param resource its class-path resource name
 */
public record KernelImage(String family, String arch, Kind kind, String resource) {
    public enum Kind { CUBIN, PTX }

    static KernelImage of(String family, String arch, Kind kind) {
        String ext = kind == Kind.CUBIN ? ".cubin" : ".ptx";
        return new KernelImage(family, arch, kind, KernelCatalog.RESOURCE_ROOT + arch + "/" + family + ext);
    }

    @Override
    public String toString() { return arch + "/" + family + (kind == Kind.CUBIN ? ".cubin" : ".ptx"); }
}
