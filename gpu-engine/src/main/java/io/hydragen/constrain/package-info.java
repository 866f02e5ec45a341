/**
 * Constrained decoding (issue #11): the generated text must match a regex, be one of a list of choices, or be JSON
 * that validates against a JSON schema (or any JSON object).
 *
 * <h2>Pipeline</h2>
 * <ol>
 * <li>{@link io.hydragen.constrain.Constraint#parse} reads the request's constraint; a JSON schema becomes a regex
 *     ({@link io.hydragen.constrain.JsonSchemaRegex}, bounded schemas only, errors name the keyword).</li>
 * <li>{@link io.hydragen.constrain.RegexSyntax} parses the regex to code-point classes and compiles a minimal
 *     dk.brics DFA over UTF-16 chars (minimized bottom-up by {@link io.hydragen.constrain.MinimalDfa}).</li>
 * <li>{@link io.hydragen.constrain.ByteDfa} turns it into a DFA over UTF-8 bytes, so byte-level BPE tokens that end
 *     mid-character walk exactly; every state is a valid prefix.</li>
 * <li>{@link io.hydragen.constrain.TokenIndex} joins it with the vocabulary's token bytes
 *     ({@link io.hydragen.tokenizer.Tokenizer#tokenBytes}): per state, a bitmap of allowed tokens, computed on first
 *     use and kept (or all at once on several threads: {@code precomputeAll}) by walking the vocabulary as a byte
 *     trie through the DFA; {@link io.hydragen.constrain.ConstraintCache} shares one index per (tokenizer, constraint).</li>
 * </ol>
 *
 * <h2>Wiring into the sampler</h2>
 * <pre>
 * TokenIndex idx = ConstraintCache.shared().get(tokenizer, vocabSize, constraint);  // once per row (cached)
 * int state = idx.initialState();                                                   // per row
 * each decode step, per constrained row:
 *   if (idx.complete(state)) finish("stop");                // the text is whole and nothing can follow
 *   logprobs from the raw logits                             // reported under the unconstrained distribution
 *   mask = idx.allowedWords32(state), plus EOS where accepting(state)  // a TokenMask keyed by (idx, state)
 *   token = Sampler.sample(logits, rowSampling with mask)    // temperature / top-k / top-p after the mask
 *   if (token is EOS) finish("stop");                       // EOS is only unmasked where accepting(state)
 *   state = idx.next(state, token);                          // never -1 for a token the mask allowed
 * at max_new_tokens: finish("length"), the text is a valid prefix
 * </pre>
 * {@link io.hydragen.constrain.ConstrainedDecoder} is this loop over any logits source (with {@link io.hydragen.constrain.LogitMask}). On the
 * GPU the same mask (32-bit words, bit {@code id % 32} of word {@code id / 32}) is applied by sampling.cu from a device
 * pool of bitmaps keyed by (index, state), uploaded the first time a state is seen; only the token id comes back and
 * the host advances the state. {@link io.hydragen.constrain.ConstraintBench}
 * ({@code bin/hydragen bench-constraint}) measures the compile and step costs.
 */
package io.hydragen.constrain;
