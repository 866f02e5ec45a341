package io.hydragen.backend.cuda;

import jcuda.driver.CUresult;

/** A CUDA driver call that failed, with the call and the driver's error name in one line. */
public class CudaException extends RuntimeException {
    private final int code;

    public CudaException(String message) {
        super(message);
        this.code = -1;
    }

    /**
     * A driver call that failed with {@code code}; the message also names the last kernel launched in this process
     * ({@link LastLaunch}), since an asynchronous fault surfaces at a later, unrelated call.
     */
    public CudaException(String what, int code) {
        super(message(what, errorName(code), LastLaunch.get()));
        this.code = code;
    }

    /** "WHAT failed: ERROR; last kernel launched: KERNEL" (the last part only when a kernel was launched). */
    static String message(String what, String error, String lastLaunch) {
        String m = what + " failed: " + error;
        if (lastLaunch != null && !what.contains(lastLaunch)) {
            m += "; last kernel launched: " + lastLaunch
                    + (Kernel.SYNC_EACH ? "" : " (asynchronous: run with -Dhydragen.cuda.debug=true to name the kernel that faulted)");
        }
        return m;
    }

    /** A message already complete, with the driver's code (a fault re-thrown naming its kernel). */
    CudaException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** The CUresult code, or -1 when the failure did not come from the driver. */
    public int code() { return code; }

    /** Throws unless {@code result} is CUDA_SUCCESS. */
    static void check(int result, String what) {
        if (result != CUresult.CUDA_SUCCESS) throw new CudaException(what, result);
    }

    static String errorName(int code) {
        try {
            return CUresult.stringFor(code) + " (" + code + ")";
        } catch (RuntimeException | LinkageError e) {
            return "CUresult " + code;
        }
    }
}
