package io.hydragen.backend.cuda;

import io.hydragen.backend.NextTokens;
import io.hydragen.sampling.RawLogprobs;
import io.hydragen.sampling.RowSampling;
import io.hydragen.sampling.TokenMask;

import java.util.ArrayList;
import java.util.List;

/**
 * One {@code forwardSample} pass's logit rows as the device sampler sees them, without the device: the per-row
 * arguments of sampling.cu, the rows whose logits the host needs instead (null settings: only those rows' logits are
 * downloaded, the others are sampled on the device in the same pass), the mask bitmaps to upload first, and the
 * {@link NextTokens} made from what comes back.
 */
final class SampledRows {
    final int rows, vocab;
    final float[] temperature, topP;
    final int[] topK, steps, maskOffset, logprobTop;
    final long[] seeds;
    /** Rows with null settings, ascending. */
    final int[] hostRows;
    /** The same rows as runs of consecutive rows, {first, count} each: one download a run (prefill rows sit together). */
    final List<int[]> hostRuns = new ArrayList<>();
    /** Rows sampled on the device. */
    final int deviceRows;
    /** Every device row is greedy: the argmax entry, no settings uploaded. */
    final boolean greedy;
    /** Some device row asks for log-probabilities: their output is downloaded. */
    final boolean logprobs;
    /** Bitmaps the pool lacks, to upload before the launch. */
    final List<MaskSlots.Upload> uploads = new ArrayList<>();

    /**
     * @param wordsPerMask words of one slot of the pool ({@code (vocab + 31) / 32})
     */
    SampledRows(RowSampling[] sampling, int vocab, MaskSlots slots, int wordsPerMask) {
        this.rows = sampling.length;
        this.vocab = vocab;
        temperature = new float[rows];
        topP = new float[rows];
        topK = new int[rows];
        steps = new int[rows];
        logprobTop = new int[rows];
        seeds = new long[rows];
        TokenMask[] masks = new TokenMask[rows];
        List<Integer> host = new ArrayList<>();
        boolean allGreedy = true, anyLogprobs = false;
        for (int i = 0; i < rows; i++) {
            RowSampling s = sampling[i];
            if (s == null) {   // its logits go to the host; the kernel gives it a cheap argmax nobody reads
                host.add(i);
                logprobTop[i] = RowSampling.NO_LOGPROBS;
                continue;
            }
            temperature[i] = s.temperature();
            topK[i] = s.topK();
            topP[i] = s.topP();
            seeds[i] = s.seed();
            steps[i] = s.step();
            masks[i] = s.mask();
            logprobTop[i] = s.logprobs();
            allGreedy &= s.greedy();
            anyLogprobs |= s.wantsLogprobs();
        }
        int[] slot = slots.assign(masks, uploads);
        maskOffset = new int[rows];
        for (int i = 0; i < rows; i++) maskOffset[i] = slot[i] < 0 ? -1 : Math.multiplyExact(slot[i], wordsPerMask);
        hostRows = host.stream().mapToInt(Integer::intValue).toArray();
        for (int j = 0; j < hostRows.length; j++) {
            if (j > 0 && hostRows[j] == hostRows[j - 1] + 1) hostRuns.get(hostRuns.size() - 1)[1]++;
            else hostRuns.add(new int[] {hostRows[j], 1});
        }
        deviceRows = rows - hostRows.length;
        greedy = allGreedy;
        logprobs = anyLogprobs;
    }

    /**
     * @param ids        the kernel's output for every row (read for device rows only), or null when there are none
     * @param logprobOut rows × {@link SamplingKernel#LOGPROB_STRIDE} words, or null when no row asked
     * @param hostLogits the logits of the host rows (by row; null elsewhere)
     */
    NextTokens assemble(int[] ids, float[] logprobOut, float[][] hostLogits) {
        int[] out = new int[rows];
        float[][] logits = new float[rows][];
        RawLogprobs[] lp = new RawLogprobs[rows];
        int h = 0;
        for (int i = 0; i < rows; i++) {
            if (h < hostRows.length && hostRows[h] == i) {
                h++;
                out[i] = NextTokens.ON_HOST;
                logits[i] = hostLogits[i];
                continue;
            }
            out[i] = ids[i];
            if (ids[i] >= 0 && logprobTop[i] != RowSampling.NO_LOGPROBS) lp[i] = logprobs(logprobOut, i, Math.min(logprobTop[i], vocab));
        }
        return new NextTokens(out, logits, lp);
    }

    /** Row {@code i}'s entry of the kernel's log-probability output, its first {@code k} alternatives. */
    static RawLogprobs logprobs(float[] out, int i, int k) {
        int at = i * SamplingKernel.LOGPROB_STRIDE;
        int[] ids = new int[k];
        double[] values = new double[k];
        for (int j = 0; j < k; j++) {
            ids[j] = Float.floatToRawIntBits(out[at + 2 + j]);
            values[j] = out[at + 2 + SamplingKernel.LOGPROB_TOP_MAX + j];
        }
        return new RawLogprobs(out[at], Float.floatToRawIntBits(out[at + 1]), ids, values);
    }
}
