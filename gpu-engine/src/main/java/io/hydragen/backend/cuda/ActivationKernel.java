package io.hydragen.backend.cuda;

/** Host side of activation.cu: SwiGLU over the fused gate|up projection, and the fp32 residual add. */
public final class ActivationKernel {
    private final Kernel swiglu;
    private final Kernel add;
    private final int blocksCap;

    public ActivationKernel(KernelSource lib) {
        this.swiglu = lib.kernel("activation", "swiglu");
        this.add = lib.kernel("activation", "residual_add");
        this.blocksCap = Math.max(1, lib.info().multiprocessors()) * 8;
    }

    static int blocks(long n, int cap) { return (int) Math.max(1, Math.min(cap, (n + 255) / 256)); }

    /** @param gateUp [rows, 2·inter] fp32; out [rows, inter] bf16 */
    public void swiglu(DeviceBuffer gateUp, DeviceBuffer out, int rows, int inter) {
        swiglu.launch(blocks((long) rows * inter, blocksCap), 1, 1, 256, 0, Kernel.args().ptr(gateUp).ptr(out).i32(rows).i32(inter));
    }

    /** x += y over n floats. */
    public void residualAdd(DeviceBuffer x, DeviceBuffer y, long n) {
        add.launch(blocks(n, blocksCap), 1, 1, 256, 0, Kernel.args().ptr(x).ptr(y).i64(n));
    }
}
