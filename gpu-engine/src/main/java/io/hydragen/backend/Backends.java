package io.hydragen.backend;

import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.backend.cpu.CpuDtype;
import io.hydragen.backend.cuda.CudaBackend;
import io.hydragen.generate.EngineOptions;
import io.hydragen.model.Model;

import java.util.Locale;

/** Chooses and builds the backend an {@link EngineOptions} asks for. */
public final class Backends {
    private Backends() {}

    /**
     * {@code cuda}: the given device, or a clear error saying why it cannot be used; {@code auto}: CUDA when a device
     * and this build's kernels can run the model, else the CPU; {@code cpu}: the CPU.
     */
    public static Backend create(Model model, EngineOptions o) {
        String b = o.backend() == null ? "auto" : o.backend().toLowerCase(Locale.ROOT);
        return switch (b) {
            case "cpu" -> cpu(model, o);
            case "cuda" -> {
                String why = CudaBackend.unavailableReason(model.config(), o.deviceOrdinal());
                if (why != null) throw new IllegalArgumentException("backend 'cuda' is not available: " + why);
                yield new CudaBackend(model, o.deviceOrdinal());
            }
            case "auto" -> CudaBackend.unavailableReason(model.config(), o.deviceOrdinal()) == null
                    ? new CudaBackend(model, o.deviceOrdinal())
                    : cpu(model, o);
            default -> throw new IllegalArgumentException("unknown backend '" + o.backend() + "' (auto, cpu, cuda)");
        };
    }

    private static CpuBackend cpu(Model model, EngineOptions o) {
        CpuDtype weights = CpuDtype.resolve(o.cpuDtype(), model.config().dtype());
        return new CpuBackend(model, o.threads(), weights, CpuDtype.resolveKvCache(o.kvCacheDtype(), weights));
    }
}
