package io.hydragen.spark.exec;

import io.hydragen.generate.Completion;

/** The output columns of one sample, after the row's input values, in {@link io.hydragen.spark.api.OutputColumns} order. */
public final class SampleRow {
    private SampleRow() {}

    /**
     * @param seed the seed the row's samples used, or null for a row that never reached the engine
     * @param chat whether the output has the {@code prompt} column of chat input (the rendered conversation)
     */
    public static Object[] values(Object[] input, Completion c, Long seed, int n, boolean chat) {
        int extra = (n > 1 ? 8 : 7) + (chat ? 1 : 0);
        Object[] v = new Object[input.length + extra];
        System.arraycopy(input, 0, v, 0, input.length);
        int i = input.length;
        boolean error = c.finishReason() == io.hydragen.generate.FinishReason.ERROR;
        v[i++] = error ? null : c.text();
        v[i++] = c.finishReason().wireName();
        v[i++] = c.error();
        v[i++] = c.promptTokenIds() == null ? 0 : c.promptTokenIds().length;
        v[i++] = c.tokenIds() == null ? 0 : c.tokenIds().length;
        v[i++] = c.sharedPromptTokens();
        v[i++] = seed;
        if (n > 1) v[i++] = c.sampleIndex();
        if (chat) v[i] = c.promptText();
        return v;
    }
}
