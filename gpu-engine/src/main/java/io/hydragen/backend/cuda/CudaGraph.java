package io.hydragen.backend.cuda;

import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;

/**
 * A sequence of launches captured once from the device's stream (cuStreamBeginCapture / cuStreamEndCapture /
 * cuGraphInstantiate) and replayed with one cuGraphLaunch, which removes the per-kernel launch overhead of a decode
 * step (hundreds of small launches) once its shapes are fixed.
 *
 * <p>A replay re-runs the captured kernels with the captured arguments: the same buffers, grids and scalars. What
 * changes between steps must therefore live in device memory (the plan tables, token ids, positions) and be
 * uploaded before {@link #launch()}. Host-to-device copies from pageable memory may not be captured; do them
 * outside the captured region.
 */
public final class CudaGraph implements AutoCloseable {
    private final CudaDevice device;
    private final CUgraph graph;
    private final CUgraphExec exec;
    private final String key;
    private boolean closed;

    private CudaGraph(CudaDevice device, CUgraph graph, CUgraphExec exec, String key) {
        this.device = device;
        this.graph = graph;
        this.exec = exec;
        this.key = key;
    }

    /**
     * Captures what {@code body} queues on the device's stream (nothing runs during capture) and instantiates it.
     *
     * @param key what the captured work depends on (shapes, buffer generation), to tell whether it can be replayed
     */
    public static CudaGraph capture(CudaDevice device, String key, Runnable body) {
        device.makeCurrent();
        CudaException.check(cuStreamBeginCapture(device.stream(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                "cuStreamBeginCapture");
        CUgraph g = new CUgraph();
        device.setCapturing(true);
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            cuStreamEndCapture(device.stream(), g);  // leave capture mode whatever happened
            cuGraphDestroy(g);
            throw e;
        } finally {
            device.setCapturing(false);
        }
        CudaException.check(cuStreamEndCapture(device.stream(), g), "cuStreamEndCapture");
        CUgraphExec exec = new CUgraphExec();
        int r = cuGraphInstantiate(exec, g, 0);
        if (r != 0) {
            cuGraphDestroy(g);
            throw new CudaException("cuGraphInstantiate", r);
        }
        return new CudaGraph(device, g, exec, key);
    }

    public String key() { return key; }

    /** Replays the captured work on the device's stream (asynchronously). */
    public void launch() {
        if (closed) throw new IllegalStateException("CUDA graph closed");
        CudaException.check(cuGraphLaunch(exec, device.stream()), "cuGraphLaunch");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        device.makeCurrent();
        cuGraphExecDestroy(exec);
        cuGraphDestroy(graph);
    }
}
