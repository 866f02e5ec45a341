package io.hydragen.generate;

/** Why a sample stopped, with the names OpenAI-style APIs and vLLM use. */
public enum FinishReason {
    /** max_new_tokens reached (or the model's context is full). */
    LENGTH,
    /** an EOS token, a stop token id or a stop string. */
    STOP,
    /** the request could not be served; see the error message. */
    ERROR;

    public String wireName() { return name().toLowerCase(java.util.Locale.ROOT); }
}
