package io.hydragen.backend.cuda;

import jcuda.driver.CUresult;

/** A CUDA driver call that failed, with the call and the driver's error name in one line. */
public class CudaException extends RuntimeException {
    private final int code;

    public CudaException(String message) {
        super(message);
        this.code = -1;
    }

    public CudaException(String what, int code) {
        super(what + " failed: " + errorName(code));
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
