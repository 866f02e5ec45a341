package io.hydragen.generate;

/**
 * One of the most likely tokens at a position, as vLLM lists them.
 *
 * @param id the token id
 * @param token the token's text (its decoding alone), or null before the engine fills it in
 * @param logprob its log-probability under the model's full distribution (log-softmax of the raw logits)
 */
public record TopLogprob(int id, String token, double logprob) {}
