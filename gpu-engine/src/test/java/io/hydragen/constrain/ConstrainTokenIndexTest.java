package io.hydragen.constrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.tokenizer.ByteTokenizer;
import io.hydragen.tokenizer.TokenBytes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Masks against a brute-force walk of the vocabulary, partial UTF-8 tokens, the EOS rule, the cache. */
class ConstrainTokenIndexTest {

    @ParameterizedTest
    @ValueSource(strings = {"byte", "tiny-llama-bpe", "tiny-llama-sp"})
    void masksEqualBruteForceOnEveryReachableState(String tokName) {
        Fixtures.Tok tok = Fixtures.byName(tokName);
        for (Constraint c : List.of(Constraint.regex("\\{\"a\": ?(?:\"[^\"]{0,3}\"|-?[0-9]{1,3})\\}"), Constraint.choice(List.of("😀🎉", "日本語", "naïve")),
                Constraint.jsonSchema(ConstrainJsonSchemaTest.json("{\"type\":\"array\",\"items\":{\"enum\":[\"é\",1.5,null]},\"maxItems\":2}")))) {
            byte[][] table = TokenBytes.table(tok.tokenizer(), tok.vocabSize());
            ByteDfa dfa = c.byteDfa();
            TokenIndex index = new TokenIndex(dfa, table, tok.vocabSize());
            Set<Integer> seen = new HashSet<>();
            ArrayDeque<Integer> work = new ArrayDeque<>(List.of(index.initialState()));
            seen.add(index.initialState());
            while (!work.isEmpty() && seen.size() < 40) {
                int s = work.poll();
                long[] mask = index.allowedMask(s);
                for (int id = 0; id < tok.vocabSize(); id++) {
                    byte[] b = table[id];
                    int next = b == null || b.length == 0 ? -1 : dfa.walk(s, b);
                    assertEquals(next >= 0, LogitMask.allowed(mask, id), tokName + " " + c.canonical() + " state " + s + " token " + id);
                    assertEquals(next, index.next(s, id));
                    if (next >= 0 && seen.add(next)) work.add(next);
                }
            }
            assertTrue(seen.size() > 3);
        }
    }

    @Test
    void byteLevelTokensEndingMidCharacterAreAllowed() {
        Fixtures.Tok tok = Fixtures.shared("tiny-llama-bpe");
        TokenIndex index = Fixtures.CACHE.get(tok.tokenizer(), tok.vocabSize(), Constraint.choice(List.of("😀🎉", "日本語")));
        long[] mask = index.allowedMask(index.initialState());
        int partial = 0;
        for (int id = 0; id < tok.vocabSize(); id++) {
            if (LogitMask.allowed(mask, id) && Fixtures.strictUtf8(tok.tokenizer().tokenBytes(id)) == null) partial++;
        }
        assertTrue(partial >= 2, "tokens that are the first bytes of 😀 or 日 must be allowed: " + partial);
        // and one made of whole characters walks to a state after the character, not accepting
        int[] ids = tok.tokenizer().encode("日本語", false);
        int s = index.walk(ids);
        assertTrue(s >= 0 && index.complete(s));
        int half = index.walk(java.util.Arrays.copyOf(ids, 1));
        assertTrue(half >= 0 && !index.accepting(half));
    }

    @Test
    void eosOnlyWhereComplete() {
        Fixtures.Tok tok = Fixtures.BYTE;
        TokenIndex index = new TokenIndex(Constraint.choice(List.of("a", "ab")).byteDfa(), TokenBytes.table(tok.tokenizer(), 600), 600);
        int a = index.next(index.initialState(), ByteTokenizer.BYTE_OFFSET + 'a');
        assertTrue(index.accepting(a) && !index.complete(a), "after a: may end or go on");
        int ab = index.next(a, ByteTokenizer.BYTE_OFFSET + 'b');
        assertTrue(index.complete(ab));
        assertFalse(index.accepting(index.initialState()));
        float[] logits = new float[600];
        java.util.Arrays.fill(logits, 1f);
        LogitMask.apply(logits, index.allowedMask(index.initialState()), index.accepting(index.initialState()), tok.eos());
        assertEquals(Float.NEGATIVE_INFINITY, logits[ByteTokenizer.EOS]);
        assertEquals(1f, logits[ByteTokenizer.BYTE_OFFSET + 'a']);
        assertEquals(1, LogitMask.count(index.allowedMask(index.initialState())));
        java.util.Arrays.fill(logits, 1f);
        LogitMask.apply(logits, index.allowedMask(a), index.accepting(a), tok.eos());
        assertEquals(1f, logits[ByteTokenizer.EOS]);
        assertEquals(1f, logits[ByteTokenizer.BYTE_OFFSET + 'b']);
        assertEquals(Float.NEGATIVE_INFINITY, logits[ByteTokenizer.BYTE_OFFSET + 'a']);
        assertEquals(Float.NEGATIVE_INFINITY, logits[599]);
    }

    @Test
    void unsatisfiableWithinMaxNewTokensGivesLengthAndAValidPrefix() {
        Fixtures.Tok tok = Fixtures.BYTE;
        Constraint c = Constraint.regex("a{50}");
        TokenIndex index = Fixtures.CACHE.get(tok.tokenizer(), tok.vocabSize(), c);
        ConstrainedDecoder.Result r = Fixtures.randomDecode(index, tok, 10, 1);
        assertEquals("length", r.finishReason());
        assertEquals("a".repeat(10), new String(Fixtures.bytes(tok, r.tokens()), StandardCharsets.UTF_8));
        assertTrue(Fixtures.check(c, Fixtures.prefixes(c), null, tok, r) == null);
    }

    @Test
    void cacheSharesOneIndexPerTokenizerAndConstraint() throws Exception {
        ConstraintCache cache = new ConstraintCache(2);
        ByteTokenizer t1 = new ByteTokenizer(), t2 = new ByteTokenizer();
        TokenIndex a = cache.get(t1, 600, Constraint.parse("{\"type\":\"choice\",\"choices\":[\"x\",\"y\"]}"));
        assertSame(a, cache.get(t1, 600, Constraint.choice(List.of("x", "y"))));
        assertNotSame(a, cache.get(t2, 600, Constraint.choice(List.of("x", "y"))), "another tokenizer");
        cache.get(t1, 600, Constraint.regex("z+"));
        assertEquals(2, cache.size());
        assertNotSame(a, cache.get(t1, 600, Constraint.choice(List.of("x", "y"))), "evicted past the bound");
        assertThrows(ConstraintException.class, () -> cache.get(t1, 600, Constraint.regex("(a")));
        // many threads, one compile, same masks
        ConstraintCache shared = new ConstraintCache(8);
        Constraint json = Constraint.jsonObject();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<TokenIndex>> fs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                fs.add(pool.submit(() -> {
                    TokenIndex idx = shared.get(t1, 600, json);
                    int s = idx.initialState();
                    for (byte b : "{\"k\": [1, {\"z\": null}]}".getBytes(StandardCharsets.UTF_8)) {
                        idx.allowedMask(s);
                        s = idx.next(s, ByteTokenizer.BYTE_OFFSET + (b & 0xff));
                    }
                    assertTrue(idx.complete(s) || idx.accepting(s));
                    return idx;
                }));
            }
            TokenIndex first = fs.get(0).get();
            for (Future<TokenIndex> f : fs) assertSame(first, f.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void parseForms() {
        assertEquals("regex:\\d+", Constraint.parse("{\"type\":\"regex\",\"pattern\":\"\\\\d+\"}").canonical());
        assertEquals("json_object", Constraint.parse("{\"type\":\"json_object\"}").canonical());
        Constraint openai = Constraint.parse("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"x\",\"schema\":{\"type\":\"integer\"}}}");
        assertEquals(Constraint.parse("{\"type\":\"json_schema\",\"schema\":{\"type\":\"integer\"}}").canonical(), openai.canonical());
        assertArrayEquals(new String[] {"choice:[\"a\",\"b\"]"}, new String[] {Constraint.parse("{\"type\":\"choice\",\"choices\":[\"a\",\"b\"]}").canonical()});
        for (String bad : List.of("[]", "{\"type\":\"grammar\"}", "{\"type\":\"choice\",\"choices\":[]}", "{\"type\":\"regex\"}", "not json")) {
            assertThrows(ConstraintException.class, () -> Constraint.parse(bad), bad);
        }
    }
}
