package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.model.SharedModels;
import io.hydragen.tokenizer.ByteTokenizer;
import io.hydragen.tokenizer.Tokenizer;
import io.hydragen.tokenizer.TokenizerLoader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Incremental stop strings give what decoding the whole completion at every step gave (the step that stops and the
 * cut text), on random token sequences that split UTF-8 characters across byte tokens, and decode O(1) tokens a step.
 */
class StopCheckTest {

    /** The old StopCheck: decode everything each step, cut at the first occurrence; {step, text} or null. */
    static Object[] reference(Tokenizer tok, int[] tokens, List<String> stops) {
        for (int k = 1; k <= tokens.length; k++) {
            String cut = StopCheck.cutAtStop(tok.decode(Arrays.copyOf(tokens, k)), stops);
            if (cut != null) return new Object[] {k, cut};
        }
        return null;
    }

    static Object[] incremental(Tokenizer tok, int[] tokens, List<String> stops) {
        StopCheck.TextState st = new StopCheck.TextState();
        for (int k = 1; k <= tokens.length; k++) {
            String cut = st.step(tok, tokens, k, stops);
            if (cut != null) return new Object[] {k, cut};
        }
        return null;
    }

    static final String[] PIECES = {"a", "b", " ", "\n", "ab", "é", "€", "😀", "ß", "x\n\n", ".", "\\"};

    /** Byte tokens of text pieces (multi-byte characters split over tokens), words, specials, stray bytes. */
    static int[] randomTokens(Random r, int n) {
        List<Integer> out = new ArrayList<>();
        while (out.size() < n) {
            int kind = r.nextInt(20);
            if (kind < 13) {
                for (byte b : PIECES[r.nextInt(PIECES.length)].getBytes(StandardCharsets.UTF_8)) out.add(ByteTokenizer.BYTE_OFFSET + (b & 0xff));
            } else if (kind < 16) {
                out.add(ByteTokenizer.FIRST_WORD_ID + r.nextInt(40));
            } else if (kind < 17) {
                out.add(r.nextInt(3)); // pad, bos, eos: decoded to nothing
            } else if (kind < 19) {
                out.add(ByteTokenizer.BYTE_OFFSET + 0x80 + r.nextInt(128)); // a stray continuation or lead byte
            } else {
                int len = 9 + r.nextInt(6); // a run of invalid bytes, longer than the hold limit
                for (int i = 0; i < len; i++) out.add(ByteTokenizer.BYTE_OFFSET + 0x80 + r.nextInt(64));
            }
        }
        return out.subList(0, n).stream().mapToInt(Integer::intValue).toArray();
    }

    static List<String> randomStops(Random r, Tokenizer tok, int[] tokens) {
        String full = tok.decode(tokens);
        List<String> stops = new ArrayList<>();
        int count = 1 + r.nextInt(3);
        for (int i = 0; i < count; i++) {
            if (full.length() > 2 && r.nextInt(4) > 0) {
                int from = r.nextInt(full.length() - 1), len = 1 + r.nextInt(Math.min(12, full.length() - from));
                stops.add(full.substring(from, from + len)); // occurs in the final text (maybe not in every prefix's)
            } else {
                StringBuilder s = new StringBuilder();
                for (int j = 0, m = 1 + r.nextInt(3); j < m; j++) s.append(PIECES[r.nextInt(PIECES.length)]);
                stops.add(s.toString());
            }
        }
        return stops;
    }

    static void compare(Tokenizer tok, Random r, int cases, int maxLen) {
        int stopped = 0;
        for (int c = 0; c < cases; c++) {
            int[] tokens = randomTokens(r, 1 + r.nextInt(maxLen));
            List<String> stops = randomStops(r, tok, tokens);
            Object[] want = reference(tok, tokens, stops), got = incremental(tok, tokens, stops);
            String what = "case " + c + " tokens " + Arrays.toString(tokens) + " stops " + stops;
            if (want == null) {
                assertEquals(null, got == null ? null : Arrays.toString(got), what);
            } else {
                stopped++;
                assertEquals(Arrays.toString(want), got == null ? null : Arrays.toString(got), what);
            }
        }
        assertTrue(stopped > cases / 4, "too few cases stopped: " + stopped);
    }

    @Test
    void incrementalEqualsFullDecodingOnRandomByteTokenSequences() {
        compare(new ByteTokenizer(), new Random(42), 1500, 120);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-bpe", "tiny-llama-sp"})
    void incrementalEqualsFullDecodingWithHuggingFaceTokenizers(String name) {
        try (Tokenizer tok = TokenizerLoader.load(SharedModels.require(name))) {
            Random r = new Random(7);
            int vocab = io.hydragen.model.HfConfigReader.read(SharedModels.require(name)).vocabSize();
            int stopped = 0, cases = 150;
            for (int c = 0; c < cases; c++) {
                int[] tokens = new int[1 + r.nextInt(60)];
                for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(vocab);
                List<String> stops = randomStops(r, tok, tokens);
                Object[] want = reference(tok, tokens, stops), got = incremental(tok, tokens, stops);
                if (want != null) stopped++;
                assertEquals(want == null ? null : Arrays.toString(want), got == null ? null : Arrays.toString(got),
                        name + " case " + c + " tokens " + Arrays.toString(tokens) + " stops " + stops);
            }
            assertTrue(stopped > cases / 4, "too few cases stopped: " + stopped);
        }
    }

    /** Counts the ids and characters every decode call handles. */
    static final class CountingTokenizer implements Tokenizer {
        final Tokenizer inner;
        long ids, chars, calls;

        CountingTokenizer(Tokenizer inner) { this.inner = inner; }

        @Override public int[] encode(String text, boolean addSpecialTokens) { return inner.encode(text, addSpecialTokens); }

        @Override public String decode(int[] tokens) {
            String s = inner.decode(tokens);
            ids += tokens.length;
            chars += s.length();
            calls++;
            return s;
        }

        @Override public int bosTokenId() { return inner.bosTokenId(); }

        @Override public int[] eosTokenIds() { return inner.eosTokenIds(); }
    }

    @Test
    void decodeWorkPerStepIsBounded() {
        CountingTokenizer tok = new CountingTokenizer(new ByteTokenizer());
        int n = 3000;
        SamplingParams p = new SamplingParams(n, 0, 0, 1, 0, List.of("never appears \u0001", "\n\n\n\n\n\n"), List.of(), true, 1);
        StopCheck check = new StopCheck(tok, 1 << 20);
        Sequence s = new Sequence(0, 0, new int[] {1, 50}, p);
        Random r = new Random(3);
        int[] tokens = randomTokens(r, n);
        for (int t : tokens) {
            if (s.done()) break;
            s.append(t);
            check.after(s);
        }
        assertEquals(FinishReason.LENGTH, s.finish);
        assertEquals(n, s.count);
        // decoding the whole completion each step would handle n(n+1)/2 = 4.5 million ids
        assertTrue(tok.ids <= 2L * (StopCheck.CONTEXT + StopCheck.MAX_HELD + 1) * n, "decoded " + tok.ids + " ids for " + n + " tokens");
        assertTrue(tok.chars <= 60L * n, "decoded " + tok.chars + " characters for " + n + " tokens");
    }

    @Test
    void stopStringCutsAtTheFirstOccurrenceAcrossSteps() {
        Tokenizer tok = new ByteTokenizer();
        int[] tokens = tok.encode("hello\n\nworld\n\n", false);
        assertEquals("[7, hello]", Arrays.toString(incremental(tok, tokens, List.of("\n\n", "world"))));
        assertEquals("[12, hello\n\n]", Arrays.toString(incremental(tok, tokens, List.of("world"))));
        int[] euro = tok.encode("a€b", false); // € is three byte tokens
        assertEquals("[4, a]", Arrays.toString(incremental(tok, euro, List.of("€"))));
    }

    @Test
    void nonFiniteLogitsAreNamed() {
        assertEquals(null, StopCheck.nonFinite(new float[] {1, -3e38f, 0}));
        assertEquals("NaN", StopCheck.nonFinite(new float[] {Float.POSITIVE_INFINITY, Float.NaN}));
        assertEquals("Infinity", StopCheck.nonFinite(new float[] {0, Float.POSITIVE_INFINITY}));
        assertEquals("-Infinity", StopCheck.nonFinite(new float[] {Float.NEGATIVE_INFINITY, 1}));
    }
}
