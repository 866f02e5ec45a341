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

    /**
     * The bytes that token {@code id} adds to the decoded text where it stands inside a sequence (a byte-level BPE
     * token may end mid-character; a SentencePiece {@code ▁} is a space, a {@code <0xNN>} piece is byte NN), or
     * null for an id that adds no text: special tokens and ids outside the vocabulary. Constrained decoding walks
     * these through its automaton; {@link TokenBytes#table} reads them all.
     */
    default byte[] tokenBytes(int id) {
        throw new UnsupportedOperationException(getClass().getName() + " does not expose the bytes of its tokens");
    }

    @Override
    default void close() {}
}
