package io.hydragen.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} run by the Rust {@code tokenizers} library through DJL, so that encoding
 * equals transformers' {@code tokenizer(text)} (normalizer, pre-tokenizer, model, post-processor all as the file
 * says). Build with {@link TokenizerLoader}.
 */
public final class HfTokenizer implements Tokenizer {
    static {
        // DJL would otherwise try to phone home (an HTTP call, useless offline and in Spark executors) and
        // slf4j would warn on stderr when no logging backend is on the class path. Respect explicit settings.
        if (System.getProperty("OPT_OUT_TRACKING") == null) System.setProperty("OPT_OUT_TRACKING", "true");
        if (System.getProperty("slf4j.internal.verbosity") == null) System.setProperty("slf4j.internal.verbosity", "ERROR");
    }

    private final HuggingFaceTokenizer djl;
    private final int bos;
    private final int[] eos;
    /** The tokenizer.json text, for {@link #tokenBytes}; null when not known. */
    private final String tokenizerJson;
    private volatile byte[][] tokenBytes;

    HfTokenizer(HuggingFaceTokenizer djl, int bos, int[] eos) { this(djl, bos, eos, null); }

    HfTokenizer(HuggingFaceTokenizer djl, int bos, int[] eos, String tokenizerJson) {
        this.djl = djl;
        this.bos = bos;
        this.eos = eos.clone();
        this.tokenizerJson = tokenizerJson;
    }

    /**
     * Parses tokenizer.json text. No truncation and no padding: prompts are encoded whole, and a too-long prompt
     * is the engine's error to report, not something to cut silently.
     */
    static HuggingFaceTokenizer parse(String tokenizerJson) throws IOException {
        return HuggingFaceTokenizer.newInstance(
                new ByteArrayInputStream(tokenizerJson.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"));
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        Encoding e = djl.encode(text, addSpecialTokens, false);
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return djl.decode(l, true);
    }

    /** The id of a token string when the tokenizer encodes it as exactly one token (special tokens do), else -1. */
    public int tokenId(String token) {
        long[] ids = djl.encode(token, false, false).getIds();
        return ids.length == 1 ? Math.toIntExact(ids[0]) : -1;
    }

    /** Read from the vocabulary and decoder of tokenizer.json, once; see {@link TokenBytes#fromTokenizerJson}. */
    @Override
    public byte[] tokenBytes(int id) {
        byte[][] table = tokenBytes;
        if (table == null) {
            if (tokenizerJson == null) return Tokenizer.super.tokenBytes(id);
            synchronized (this) {
                if (tokenBytes == null) tokenBytes = TokenBytes.fromTokenizerJson(tokenizerJson);
                table = tokenBytes;
            }
        }
        return id >= 0 && id < table.length ? table[id] : null;
    }

    @Override
    public int bosTokenId() { return bos; }

    @Override
    public int[] eosTokenIds() { return eos.clone(); }

    @Override
    public void close() { djl.close(); }
}
