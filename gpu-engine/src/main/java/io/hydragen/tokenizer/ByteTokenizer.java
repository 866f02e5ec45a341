package io.hydragen.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The tokenizer of synthetic models, defined in code: id 0 {@code <pad>}, 1 {@code <s>} (BOS, added when asked),
 * 2 {@code </s>} (EOS), 3..258 the 256 byte values of the UTF-8 text. Ids from 259 up do not stand for bytes: a
 * random model emits them, and they decode to a short made-up word and a space, so demo output reads like text.
 *
 * <p>Like a Hugging Face tokenizer, the literal strings {@code <pad>}, {@code <s>} and {@code </s>} in the text
 * encode to their special ids; {@link ByteTokenizerExport} writes a {@code tokenizer.json} that encodes the same.
 */
public final class ByteTokenizer implements Tokenizer {
    public static final int PAD = 0, BOS = 1, EOS = 2;
    /** Id of byte value 0; byte b has id {@code BYTE_OFFSET + b}. */
    public static final int BYTE_OFFSET = 3;
    /** First id that is not a byte: ids from here on are pseudo-words. */
    public static final int FIRST_WORD_ID = BYTE_OFFSET + 256;
    /** Special token strings by id. */
    public static final List<String> SPECIALS = List.of("<pad>", "<s>", "</s>");

    private static final String[] CONSONANTS = {"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sh", "th"};
    private static final String[] VOWELS = {"a", "e", "i", "o", "u"};
    private static final int SYLLABLES = CONSONANTS.length * VOWELS.length; // 80

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList out = new IntList(text.length() + 1);
        if (addSpecialTokens) out.add(BOS);
        int i = 0;
        while (i < text.length()) {
            int special = specialAt(text, i);
            int next = nextSpecial(text, i);
            if (special >= 0) {
                out.add(special);
                i += SPECIALS.get(special).length();
                continue;
            }
            for (byte b : text.substring(i, next).getBytes(StandardCharsets.UTF_8)) out.add(BYTE_OFFSET + (b & 0xff));
            i = next;
        }
        return out.toArray();
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < BYTE_OFFSET) continue; // special tokens are skipped
            if (id < FIRST_WORD_ID) {
                bytes.write(id - BYTE_OFFSET);
            } else {
                flush(bytes, sb);
                sb.append(pseudoWord(id)).append(' ');
            }
        }
        flush(bytes, sb);
        return sb.toString();
    }

    /** Ids 0..2 are special (null), 3..258 one byte each, from 259 up the pseudo-word and its space. */
    @Override
    public byte[] tokenBytes(int id) {
        if (id < BYTE_OFFSET) return null;
        if (id < FIRST_WORD_ID) return new byte[] {(byte) (id - BYTE_OFFSET)};
        return (pseudoWord(id) + " ").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int bosTokenId() { return BOS; }

    @Override
    public int[] eosTokenIds() { return new int[] {EOS}; }

    /**
     * The made-up word id {@code id >= 259} decodes to (without the trailing space). Distinct ids give distinct
     * words: the id is spread over its tier (2 syllables for the first 6400, then 3, 4, ...) by multiplying with a
     * number coprime to the tier size, and the result is written in base 80 syllables.
     */
    public static String pseudoWord(int id) {
        if (id < FIRST_WORD_ID) throw new IllegalArgumentException("id " + id + " is not a word id");
        long k = id - FIRST_WORD_ID;
        int syllables = 2;
        long tier = (long) SYLLABLES * SYLLABLES;
        while (k >= tier) {
            k -= tier;
            tier *= SYLLABLES;
            syllables++;
        }
        // 1237 is coprime to every 80^n (80 = 2^4 * 5), so this permutes the tier.
        long scrambled = Math.floorMod(k * 1237L, tier);
        StringBuilder w = new StringBuilder();
        for (int s = 0; s < syllables; s++) {
            int d = (int) (scrambled % SYLLABLES);
            scrambled /= SYLLABLES;
            w.append(CONSONANTS[d / VOWELS.length]).append(VOWELS[d % VOWELS.length]);
        }
        return w.toString();
    }

    private static int specialAt(String text, int i) {
        for (int s = 0; s < SPECIALS.size(); s++) if (text.startsWith(SPECIALS.get(s), i)) return s;
        return -1;
    }

    private static int nextSpecial(String text, int from) {
        int best = text.length();
        for (String s : SPECIALS) {
            int at = text.indexOf(s, from);
            if (at >= 0 && at < best) best = at;
        }
        return best;
    }

    private static void flush(ByteArrayOutputStream bytes, StringBuilder sb) {
        if (bytes.size() == 0) return;
        sb.append(new String(bytes.toByteArray(), StandardCharsets.UTF_8));
        bytes.reset();
    }

    /** Growable int array: encode runs per prompt, boxing every id would be waste. */
    private static final class IntList {
        private int[] a;
        private int n;

        IntList(int capacity) { a = new int[Math.max(4, capacity)]; }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }
}
