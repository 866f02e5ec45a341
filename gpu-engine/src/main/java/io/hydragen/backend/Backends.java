package io.hydragen.backend;

import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.generate.EngineOptions;
import io.hydragen.model.Model;

import java.util.Locale;

/** Chooses and builds the backend an {@link EngineOptions} asks for. */
public final class Backends {
    private Backends() {}

    public static Backend create(Model model, EngineOptions o) {
        String b = o.backend() == null ? "auto" : o.backend().toLowerCase(Locale.ROOT);
        return switch (b) {
            case "cpu", "auto" -> new CpuBackend(model, o.threads());
            case "cuda" -> throw new IllegalArgumentException("backend 'cuda' is not available in this build");
            default -> throw new IllegalArgumentException("unknown backend '" + o.backend() + "' (auto, cpu, cuda)");
        };
    }
}
