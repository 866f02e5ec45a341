package io.hydragen.cli;

import io.hydragen.generate.EngineOptions;
import picocli.CommandLine.Option;

/** Where a command's engine runs: the options {@code generate} and {@code bench} share (a picocli mixin). */
final class BackendOptions {
    @Option(names = "--backend", defaultValue = "auto", paramLabel = "B", description = "auto, cpu or cuda (default ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--device", defaultValue = "0", paramLabel = "N", description = "CUDA device ordinal (default ${DEFAULT-VALUE}).")
    int device;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "T", description = "CPU threads; 0 = all cores (default ${DEFAULT-VALUE}).")
    int threads;

    void check() {
        if (threads < 0) throw new UsageException("--threads must be >= 0, got " + threads);
    }

    EngineOptions applyTo(EngineOptions o) {
        return o.withBackend(backend).withDevice(device).withThreads(threads);
    }
}
