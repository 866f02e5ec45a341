/**
 * The generation loop: {@link io.hydragen.generate.Engine} runs requests through the static
 * {@link io.hydragen.generate.BatchRunner} (plan, prefill by level, decode) or the
 * {@link io.hydragen.generate.ContinuousScheduler} (prefill pieces inside the decode pass). Both ask the backend to pick
 * every token where the logits are ({@link io.hydragen.backend.Backend#forwardSample}), each sample's first token
 * included, and share one definition of a pass's logit rows: {@link io.hydragen.generate.PassLogitRows} (which rows are
 * picked, which bring logits to the host, and what those fill), {@link io.hydragen.generate.PromptLogitSlots} (the
 * slots whose logits prompt log-probabilities need; where the prefix-cache copy stops) and
 * {@link io.hydragen.generate.LogitRowBudget} (at most 256 such rows a pass).
 */
package io.hydragen.generate;
