package io.hydragen.backend.cuda;

import io.hydragen.backend.NextTokens;
import io.hydragen.sampling.RowSampling;

/**
 * The device half of {@code forwardSample}: picks every logit row's next token where the logits are (sampling.cu),
 * masks and log-probabilities included, so only ids (and the few log-probabilities asked for) come back; rows whose
 * logits the host needs (null settings) download just their own rows in the same pass. Mask bitmaps live in a
 * device pool keyed by (constraint, state) ({@link MaskSlots}), uploaded when a state is first seen.
 */
final class DeviceSampler implements AutoCloseable {
    /** Mask bitmaps kept on the device at first: 256 × 16 KiB for a 128K vocabulary. */
    static final int DEFAULT_MASK_SLOTS = 256;

    private final CudaDevice device;
    private final CudaWorkspace ws;
    private final SamplingKernel kernel;
    private final int vocab, wordsPerMask;
    private final MaskSlots slots;
    private DeviceBuffer pool;
    private int poolSlots;

    DeviceSampler(CudaDevice device, KernelSource lib, CudaWorkspace ws, int vocab) {
        this.device = device;
        this.ws = ws;
        this.kernel = new SamplingKernel(lib);
        this.vocab = vocab;
        this.wordsPerMask = (vocab + 31) / 32;
        this.slots = new MaskSlots(DEFAULT_MASK_SLOTS);
    }

    /** The next tokens of the first {@code rows} rows of {@code logits} ([rows, vocab] fp32 on the device). */
    NextTokens sample(DeviceBuffer logits, int rows, RowSampling[] sampling) {
        SampledRows pass = new SampledRows(sampling, vocab, slots, wordsPerMask);
        float[][] host = new float[rows][];
        for (int[] run : pass.hostRuns) {
            float[] flat = new float[Math.multiplyExact(run[1], vocab)];
            logits.download(flat, (long) run[0] * vocab);
            for (int j = 0; j < run[1]; j++) host[run[0] + j] = java.util.Arrays.copyOfRange(flat, j * vocab, (j + 1) * vocab);
        }
        if (pass.deviceRows == 0) return pass.assemble(null, null, host);

        DeviceBuffer offsets = ws.get("sample.maskOffset", 4L * rows), top = ws.get("sample.logprobTop", 4L * rows),
                lpOut = ws.get("sample.logprobs", 4L * rows * SamplingKernel.LOGPROB_STRIDE), ids = ws.get("sampled", 4L * rows);
        offsets.upload(pass.maskOffset);
        top.upload(pass.logprobTop);
        SamplingKernel.RowBuffers x = new SamplingKernel.RowBuffers(maskPool(pass), offsets, top, lpOut);
        if (pass.greedy) {
            kernel.argmax(logits, vocab, rows, x, ids);
        } else {
            DeviceBuffer bt = ws.get("sample.temp", 4L * rows), bk = ws.get("sample.topk", 4L * rows), bp = ws.get("sample.topp", 4L * rows),
                    bs = ws.get("sample.seed", 8L * rows), bn = ws.get("sample.step", 4L * rows);
            bt.upload(pass.temperature);
            bk.upload(pass.topK);
            bp.upload(pass.topP);
            bs.upload(pass.seeds);
            bn.upload(pass.steps);
            kernel.sample(logits, vocab, rows, bt, bk, bp, bs, bn, x, ids);
        }
        int[] picked = new int[rows];
        ids.download(picked, 0);
        float[] lp = null;
        if (pass.logprobs) {
            lp = new float[rows * SamplingKernel.LOGPROB_STRIDE];
            lpOut.download(lp, 0);
        }
        return pass.assemble(picked, lp, host);
    }

    /** The pool with this pass's new bitmaps uploaded (reallocated when {@link MaskSlots} grew); a placeholder when no row has a mask. */
    private DeviceBuffer maskPool(SampledRows pass) {
        if (pass.uploads.isEmpty() && pool == null) return ws.get("sample.maskOffset", 4L * pass.rows);   // never read: every offset is -1
        if (pool == null || poolSlots != slots.capacity()) {
            if (pool != null) {
                device.synchronize();   // an earlier launch may still read it
                pool.close();
            }
            poolSlots = slots.capacity();
            pool = DeviceBuffer.allocate(device, 4L * wordsPerMask * poolSlots, "mask bitmaps");
        }
        for (MaskSlots.Upload u : pass.uploads) {
            int[] w = u.words().length == wordsPerMask ? u.words() : java.util.Arrays.copyOf(u.words(), wordsPerMask);
            pool.upload(w, 4L * wordsPerMask * u.slot());
        }
        return pool;
    }

    /** Mask bitmaps uploaded so far. */
    long maskUploads() { return slots.uploads(); }

    @Override
    public void close() {
        if (pool != null) pool.close();
        pool = null;
    }
}
