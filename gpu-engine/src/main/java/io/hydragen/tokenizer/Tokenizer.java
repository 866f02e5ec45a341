package io.hydragen.tokenizer;

/** Text to token ids and back, as the model's Hugging Face tokenizer does it. */
public interface Tokenizer extends AutoCloseable {

    /** Encodes like transformers' {@code tokenizer(text)}: with the post-processor's special tokens when asked. */
    int[] encode(String text, boolean addSpecialTokens);

    /** Decodes ids to text, skipping special tokens. */
    String decode(int[] ids);

    /** Begin-of-sequence id, or -1. */
    int bosTokenId();

    /** Ids that end generation (from generation_config.json / tokenizer_config.json). */
    int[] eosTokenIds();

    @Override
    default void close() {}
}
