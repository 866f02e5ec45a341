package io.hydragen.sampling;

/**
 * The 64-bit Philox key of one sample: a request's seed and the sample's index within the request mixed by
 * SplitMix64's finaliser, so samples i and i+1 of one request, or seeds s and s+1, get unrelated streams.
 */
public final class SamplingSeeds {
    private SamplingSeeds() {}

    public static long rowSeed(long requestSeed, int sampleIndex) {
        return mix(requestSeed * 0x9E3779B97F4A7C15L + mix(sampleIndex + 0x632BE59BD9B4E019L));
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
