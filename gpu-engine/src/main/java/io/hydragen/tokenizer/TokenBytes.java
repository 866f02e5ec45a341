package io.hydragen.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.model.JsonFiles;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The exact bytes each token id contributes to decoded text, the input of constrained decoding.
 *
 * <p>Read from tokenizer.json: the model's vocabulary (id to token string) and its decoder say how a token string
 * becomes bytes. A {@code ByteLevel} decoder (GPT-2 style) maps each character back through GPT-2's
 * byte-to-unicode table, so a token may be part of a UTF-8 character. A SentencePiece-style decoder
 * ({@code Replace ▁→space}, {@code Metaspace}, {@code ByteFallback}) turns {@code ▁} into a space and a
 * {@code <0xNN>} piece into byte NN. Special added tokens give null; other added tokens give their content.
 *
 * <p>The one context-dependent decoder step is left out: SentencePiece decoders {@code Strip} one leading space
 * from the whole decoded text (and the normalizer {@code Prepend}s {@code ▁} when encoding). So the bytes of
 * {@code encode(text)} concatenated are {@code " " + text} for such a tokenizer, and a decoded completion that
 * begins with a space loses it; in running text (every token after the first) the bytes are exact.
 */
public final class TokenBytes {
    private TokenBytes() {}

    private static final Pattern BYTE_PIECE = Pattern.compile("<0x([0-9A-Fa-f]{2})>");

    /** {@code tokenizer.tokenBytes(id)} for ids {@code 0..vocabSize-1}. */
    public static byte[][] table(Tokenizer tokenizer, int vocabSize) {
        byte[][] out = new byte[vocabSize][];
        for (int id = 0; id < vocabSize; id++) out[id] = tokenizer.tokenBytes(id);
        return out;
    }

    /** The concatenated bytes of ids (null entries add nothing), as UTF-8 text; a partial character becomes U+FFFD. */
    public static String text(Tokenizer tokenizer, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            byte[] b = tokenizer.tokenBytes(id);
            if (b != null) out.writeBytes(b);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The table of a tokenizer.json, indexed by id up to its largest id. */
    public static byte[][] fromTokenizerJson(String json) {
        JsonNode root = JsonFiles.parseObject("tokenizer.json", "text", json.getBytes(StandardCharsets.UTF_8));
        JsonNode model = root.path("model");
        JsonNode vocab = model.path("vocab");
        int maxId = -1;
        if (vocab.isObject()) {
            for (JsonNode id : vocab) maxId = Math.max(maxId, id.asInt(-1));
        } else if (vocab.isArray()) {
            maxId = vocab.size() - 1;
        } else {
            throw new UnsupportedOperationException("tokenizer.json: model.vocab is neither an object nor a list");
        }
        for (JsonNode t : root.path("added_tokens")) maxId = Math.max(maxId, t.path("id").asInt(-1));
        Kind kind = kind(root.path("decoder"));
        boolean byteFallback = model.path("byte_fallback").asBoolean(false) || kind == Kind.SENTENCEPIECE;
        byte[][] out = new byte[maxId + 1][];
        if (vocab.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int id = e.getValue().asInt(-1);
                if (id >= 0) out[id] = bytes(e.getKey(), kind, byteFallback);
            }
        } else {
            for (int id = 0; id < vocab.size(); id++) out[id] = bytes(vocab.get(id).path(0).asText(), kind, byteFallback);
        }
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt(-1);
            if (id < 0) continue;
            out[id] = t.path("special").asBoolean(false) ? null : t.path("content").asText().getBytes(StandardCharsets.UTF_8);
        }
        String unk = model.path("unk_token").isTextual() ? model.path("unk_token").asText() : null;
        if (unk != null && vocab.isObject() && vocab.has(unk)) out[vocab.get(unk).asInt()] = null;
        return out;
    }

    private enum Kind { BYTE_LEVEL, SENTENCEPIECE, PLAIN }

    private static Kind kind(JsonNode decoder) {
        if (decoder == null || decoder.isMissingNode() || decoder.isNull()) return Kind.PLAIN;
        String type = decoder.path("type").asText();
        switch (type) {
            case "ByteLevel": return Kind.BYTE_LEVEL;
            case "Metaspace": return Kind.SENTENCEPIECE;
            case "ByteFallback": case "Fuse": case "Strip": return Kind.PLAIN;
            case "Replace":
                return "\u2581".equals(decoder.path("pattern").path("String").asText()) ? Kind.SENTENCEPIECE : Kind.PLAIN;
            case "Sequence": {
                Kind k = Kind.PLAIN;
                for (JsonNode d : decoder.path("decoders")) {
                    Kind inner = kind(d);
                    if (inner != Kind.PLAIN) k = inner;
                }
                return k;
            }
            default:
                throw new UnsupportedOperationException("tokenizer.json: decoder type " + type + " is not supported for token bytes");
        }
    }

    private static byte[] bytes(String token, Kind kind, boolean byteFallback) {
        if (byteFallback) {
            Matcher m = BYTE_PIECE.matcher(token);
            if (m.matches()) return new byte[] {(byte) Integer.parseInt(m.group(1), 16)};
        }
        switch (kind) {
            case BYTE_LEVEL: {
                byte[] out = new byte[token.length() * 3];
                int n = 0;
                for (int i = 0; i < token.length(); i++) {
                    char c = token.charAt(i);
                    int b = c < UNICODE_TO_BYTE.length ? UNICODE_TO_BYTE[c] : -1;
                    if (b >= 0) {
                        out[n++] = (byte) b;
                    } else { // not a byte-level character: keep it as its UTF-8
                        byte[] u = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                        System.arraycopy(u, 0, out, n, u.length);
                        n += u.length;
                    }
                }
                return java.util.Arrays.copyOf(out, n);
            }
            case SENTENCEPIECE:
                return token.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
            default:
                return token.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Inverse of GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others for 256 + n. */
    private static final int[] UNICODE_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(UNICODE_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (printable) {
                UNICODE_TO_BYTE[b] = b;
            } else {
                UNICODE_TO_BYTE[256 + n] = b;
                n++;
            }
        }
    }
}
