/**
 * How a next token is picked from logits, one definition for every backend: {@link io.hydragen.sampling.RowSampling}
 * (a row's settings, seed and step, its {@link io.hydragen.sampling.TokenMask} of allowed tokens and the
 * log-probabilities wanted), {@link io.hydragen.sampling.Sampler} (the host's sampler, which computes what
 * sampling.cu computes on the device), {@link io.hydragen.sampling.RawLogprobs} (log-probabilities of the raw logits), {@link io.hydragen.sampling.Philox} and {@link io.hydragen.sampling.SamplingSeeds}
 * (the random stream both draw from).
 */
package io.hydragen.sampling;
