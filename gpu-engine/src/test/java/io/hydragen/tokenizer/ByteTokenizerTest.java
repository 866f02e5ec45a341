package io.hydragen.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteTokenizerTest {
    private final ByteTokenizer t = new ByteTokenizer();

    @Test
    void asciiIsBytesPlusThree() {
        assertArrayEquals(new int[] {1, 'H' + 3, 'i' + 3}, t.encode("Hi", true));
        assertArrayEquals(new int[] {'H' + 3, 'i' + 3}, t.encode("Hi", false));
        assertArrayEquals(new int[] {1}, t.encode("", true));
        assertArrayEquals(new int[0], t.encode("", false));
    }

    @Test
    void multiByteUtf8RoundTrips() {
        for (String s : new String[] {"café résumé", "日本語のテキスト", "emoji 😀🚀👍🏽", "mixed\r\nline\tendings ", "\u00a0nbsp", ""}) {
            int[] ids = t.encode(s, true);
            assertEquals(1 + s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, ids.length, s);
            assertEquals(s, t.decode(ids), s);
        }
        // é is C3 A9 in UTF-8
        assertArrayEquals(new int[] {0xC3 + 3, 0xA9 + 3}, t.encode("é", false));
    }

    @Test
    void specialTokensAreSkippedOnDecodeAndRecognisedInText() {
        assertEquals("ab", t.decode(new int[] {1, 'a' + 3, 0, 2, 'b' + 3}));
        assertArrayEquals(new int[] {'a' + 3, 2, 1, 'b' + 3, 0}, t.encode("a</s><s>b<pad>", false));
        // only the exact special strings are special
        assertArrayEquals(new int[] {'<' + 3, 's' + 3, ' ' + 3, '>' + 3}, t.encode("<s >", false));
        assertEquals(1, t.bosTokenId());
        assertArrayEquals(new int[] {2}, t.eosTokenIds());
    }

    @Test
    void wordIdsDecodeToDistinctPseudoWords() {
        Set<String> seen = new HashSet<>();
        for (int id = ByteTokenizer.FIRST_WORD_ID; id < 140_000; id++) {
            String w = ByteTokenizer.pseudoWord(id);
            assertTrue(w.matches("[a-z]{4,12}"), w);
            assertTrue(seen.add(w), "duplicate word " + w + " for id " + id);
        }
        String text = t.decode(new int[] {1, 300, 301, 'x' + 3});
        assertEquals(ByteTokenizer.pseudoWord(300) + " " + ByteTokenizer.pseudoWord(301) + " x", text);
        assertEquals(ByteTokenizer.pseudoWord(4000), ByteTokenizer.pseudoWord(4000));
        assertNotEquals(ByteTokenizer.pseudoWord(300), ByteTokenizer.pseudoWord(301));
    }
}
