package io.hydragen.constrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.hydragen.model.JsonFiles;
import io.hydragen.model.SharedModels;
import io.hydragen.tokenizer.ByteTokenizer;
import io.hydragen.tokenizer.TokenBytes;
import io.hydragen.tokenizer.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Token bytes concatenate to the encoded text: exactly for byte-level BPE and the byte tokenizer, with the one
 * leading space that SentencePiece's normalizer prepends for tiny-llama-sp.
 */
class ConstrainTokenBytesTest {

    static List<String> texts(String name) {
        JsonNode expected = JsonFiles.readObject(SharedModels.require(name).resolve("expected.json"));
        List<String> out = new ArrayList<>();
        for (JsonNode c : expected.get("tokenizer_cases")) out.add(c.get("text").asText());
        for (var sets = expected.get("prompt_sets").fields(); sets.hasNext(); ) {
            for (JsonNode p : sets.next().getValue()) out.add(p.get("text").asText());
        }
        out.addAll(List.of("{\"name\": \"Zoë\", \"ok\": true}", "日本語のテキスト 😀🎉 ok", "a\tb\r\nc  d", "€100 — naïve"));
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-bpe", "tiny-llama-sp"})
    void bytesOfEncodingAreTheText(String name) {
        Fixtures.Tok tok = Fixtures.shared(name);
        boolean sentencePiece = name.endsWith("sp");
        int checked = 0;
        for (String text : texts(name)) {
            int[] ids = tok.tokenizer().encode(text, false);
            if (java.util.Arrays.stream(ids).anyMatch(id -> tok.tokenizer().tokenBytes(id) == null)) continue; // a special token in the text
            byte[] got = Fixtures.bytes(tok, ids);
            String expect = sentencePiece && !text.isEmpty() ? " " + text : text;
            assertArrayEquals(expect.getBytes(StandardCharsets.UTF_8), got, name + ": " + Fixtures.show(text));
            // and decode() agrees with the bytes (up to SentencePiece's stripped leading space)
            assertEquals(text, tok.tokenizer().decode(ids), name + " decode: " + Fixtures.show(text));
            checked++;
        }
        assertTrue(checked > 20);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-bpe", "tiny-llama-sp"})
    void specialTokensHaveNoBytesAndEveryByteIsReachable(String name) {
        Fixtures.Tok tok = Fixtures.shared(name);
        Tokenizer t = tok.tokenizer();
        for (int eos : t.eosTokenIds()) assertNull(t.tokenBytes(eos));
        if (t.bosTokenId() >= 0) assertNull(t.tokenBytes(t.bosTokenId()));
        assertNull(t.tokenBytes(tok.vocabSize()), "ids past the vocabulary");
        boolean[] single = new boolean[256];
        for (byte[] b : TokenBytes.table(t, tok.vocabSize())) if (b != null && b.length == 1) single[b[0] & 0xff] = true;
        for (int b = 0; b < 256; b++) {
            // GPT-2 has every byte as a token; SentencePiece byte fallback has <0x00>..<0xFF>
            assertTrue(single[b], name + ": no single-byte token for " + b);
        }
    }

    @Test
    void byteLevelTokensMayEndMidCharacter() {
        Fixtures.Tok tok = Fixtures.shared("tiny-llama-bpe");
        int partial = 0;
        for (byte[] b : TokenBytes.table(tok.tokenizer(), tok.vocabSize())) {
            if (b != null && Fixtures.strictUtf8(b) == null) partial++;
        }
        assertTrue(partial > 100, "GPT-2 has many tokens that are partial UTF-8, found " + partial);
    }

    @Test
    void byteTokenizer() {
        ByteTokenizer t = new ByteTokenizer();
        String text = "naïve 😀 </s>x";
        int[] ids = t.encode(text, false);
        StringBuilder sb = new StringBuilder();
        byte[] all = Fixtures.bytes(new Fixtures.Tok("b", t, 600), java.util.Arrays.stream(ids).filter(i -> i >= 3).toArray());
        assertArrayEquals("naïve 😀 x".getBytes(StandardCharsets.UTF_8), all);
        assertNull(t.tokenBytes(ByteTokenizer.EOS));
        assertArrayEquals((ByteTokenizer.pseudoWord(300) + " ").getBytes(StandardCharsets.UTF_8), t.tokenBytes(300));
        assertEquals(t.decode(new int[] {300, 301}), TokenBytes.text(t, new int[] {300, 301}));
    }
}
