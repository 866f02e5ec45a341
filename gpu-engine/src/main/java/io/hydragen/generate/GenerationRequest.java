package io.hydragen.generate;

/**
 * One prompt to complete: text, or token ids when the caller tokenized already (ids win when both are given).
 *
 * @param id the caller's identifier, echoed in each {@link Completion}
 */
public record GenerationRequest(String id, String prompt, int[] promptTokenIds, SamplingParams params) {

    public static GenerationRequest ofText(String id, String prompt, SamplingParams params) {
        return new GenerationRequest(id, prompt, null, params);
    }

    public static GenerationRequest ofTokens(String id, int[] ids, SamplingParams params) {
        return new GenerationRequest(id, null, ids, params);
    }
}
