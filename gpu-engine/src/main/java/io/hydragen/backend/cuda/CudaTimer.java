package io.hydragen.backend.cuda;

import jcuda.driver.CUevent;

import java.util.Arrays;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

/**
 * Device time of work queued on a stream, measured with events around it (host clocks would time the queueing):
 * warm-up runs first, then the median of repeated runs.
 */
public final class CudaTimer implements AutoCloseable {
    private final CudaDevice device;
    private final CUevent start = new CUevent(), stop = new CUevent();

    public CudaTimer(CudaDevice device) {
        this.device = device;
        CudaException.check(cuEventCreate(start, 0), "cuEventCreate");
        CudaException.check(cuEventCreate(stop, 0), "cuEventCreate");
    }

    /** Milliseconds of device time of one run of {@code work}. */
    public float time(Runnable work) {
        CudaException.check(cuEventRecord(start, device.stream()), "cuEventRecord");
        work.run();
        CudaException.check(cuEventRecord(stop, device.stream()), "cuEventRecord");
        CudaException.check(cuEventSynchronize(stop), "cuEventSynchronize (a kernel failed)");
        float[] ms = {0};
        CudaException.check(cuEventElapsedTime(ms, start, stop), "cuEventElapsedTime");
        return ms[0];
    }

    /** Median milliseconds over {@code reps} runs after {@code warmup} untimed ones; also returns min and max. */
    public float[] median(Runnable work, int warmup, int reps) {
        for (int i = 0; i < warmup; i++) work.run();
        device.synchronize();
        float[] t = new float[reps];
        for (int i = 0; i < reps; i++) t[i] = time(work);
        Arrays.sort(t);
        return new float[] {t[reps / 2], t[0], t[reps - 1]};
    }

    @Override
    public void close() {
        cuEventDestroy(start);
        cuEventDestroy(stop);
    }
}
