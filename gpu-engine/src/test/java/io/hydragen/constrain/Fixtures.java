package io.hydragen.constrain;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.RunAutomaton;
import io.hydragen.model.JsonFiles;
import io.hydragen.model.SharedModels;
import io.hydragen.tokenizer.ByteTokenizer;
import io.hydragen.tokenizer.Tokenizer;
import io.hydragen.tokenizer.TokenizerLoader;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/** Tokenizers of the tests, random-logit decoding and the independent checks of its outputs. */
final class Fixtures {
    private Fixtures() {}

    /** A tokenizer and the vocabulary size of its model. */
    record Tok(String name, Tokenizer tokenizer, int vocabSize) {
        int[] eos() { return tokenizer.eosTokenIds(); }
        @Override public String toString() { return name; }
    }

    static final Tok BYTE = new Tok("byte", new ByteTokenizer(), 600);
    private static final Map<String, Tok> SHARED = new ConcurrentHashMap<>();
    static final ConstraintCache CACHE = new ConstraintCache(256);

    /** A shared checkpoint's tokenizer (tiny-llama-bpe, tiny-llama-sp), or a skipped test where ../shared is absent. */
    static Tok shared(String name) {
        Path dir = SharedModels.require(name);
        return SHARED.computeIfAbsent(name, n -> new Tok(n, TokenizerLoader.load(dir),
                JsonFiles.readObject(dir.resolve("config.json")).get("vocab_size").asInt()));
    }

    /** The shared tokenizers present (none where ../shared is absent). */
    static List<Tok> sharedPresent() {
        return java.util.stream.Stream.of("tiny-llama-bpe", "tiny-llama-sp")
                .filter(n -> Files.isRegularFile(SharedModels.modelsDir().resolve(n).resolve("tokenizer.json")))
                .map(Fixtures::shared).toList();
    }

    static Tok byName(String name) { return name.equals("byte") ? BYTE : shared(name); }

    /** Decoding with logits drawn at random each step (uniform in [-4, 4]) and argmax over the allowed ones. */
    static ConstrainedDecoder.Result randomDecode(TokenIndex index, Tok tok, int maxNewTokens, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        return ConstrainedDecoder.run(index, tok.eos(), maxNewTokens, (step, gen) -> {
            float[] l = new float[index.vocabSize()];
            for (int i = 0; i < l.length; i++) l[i] = (float) (rnd.nextDouble() * 8 - 4);
            return l;
        }, (masked, step) -> io.hydragen.sampling.Sampler.argmax(masked));
    }

    static byte[] bytes(Tok tok, int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) out.writeBytes(tok.tokenizer().tokenBytes(id));
        return out.toByteArray();
    }

    /** Strict UTF-8 decoding; null when the bytes are not valid UTF-8. */
    static String strictUtf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** The automaton of all prefixes of the constraint's strings (char level, independent of the byte DFA). */
    static RunAutomaton prefixes(Constraint c) {
        Automaton a = c.automaton().clone();
        a.removeDeadTransitions();
        a.prefixClose();
        return new RunAutomaton(a);
    }

    /**
     * Checks a decoding: every prefix of the output at a token boundary is (up to a trailing partial character)
     * a prefix of an accepted string; a completed output matches the regex (by java.util.regex) and the
     * constraint's whole-string automaton. Returns the text of a completed output, else null.
     */
    static String check(Constraint c, RunAutomaton prefixes, Pattern javaRegex, Tok tok, ConstrainedDecoder.Result r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : r.tokens()) {
            out.writeBytes(tok.tokenizer().tokenBytes(id));
            byte[] b = out.toByteArray();
            String text = strictUtf8(trimPartial(b));
            if (text == null) fail(tok + ": invalid UTF-8 in output bytes");
            if (!prefixes.run(text)) fail(tok + ": prefix " + show(text) + " is not a prefix of any string of " + c.canonical());
        }
        if (!r.stopped()) return null;
        String text = strictUtf8(out.toByteArray());
        assertTrue(text != null, tok + ": completed output is not valid UTF-8");
        assertTrue(c.automaton().run(text), tok + ": completed output " + show(text) + " is not accepted");
        if (javaRegex != null) {
            boolean matches;
            try {
                matches = javaRegex.matcher(text).matches();
            } catch (StackOverflowError e) {
                matches = true; // java.util.regex recurses per repetition: long texts are checked by the automaton only
            }
            assertTrue(matches, tok + ": java.util.regex rejects " + show(text));
        }
        return text;
    }

    /** Drops an incomplete UTF-8 sequence at the end. */
    static byte[] trimPartial(byte[] b) {
        int n = b.length, i = n - 1, cont = 0;
        while (i >= 0 && (b[i] & 0xC0) == 0x80 && cont < 3) { i--; cont++; }
        if (i < 0) return b;
        int lead = b[i] & 0xff;
        int len = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return cont + 1 < len ? java.util.Arrays.copyOf(b, i) : b;
    }

    static Pattern javaPattern(Constraint c) {
        return Pattern.compile(c.regex(), Pattern.UNIX_LINES);
    }

    private static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    /** Validation errors of a JSON text against a schema (networknt json-schema-validator, draft 2020-12). */
    static List<Error> validate(JsonNode schema, String text) {
        JsonNode doc;
        try {
            doc = JsonFiles.MAPPER.readTree(text);
        } catch (java.io.IOException e) {
            fail("not JSON: " + show(text) + " (" + e.getMessage() + ")");
            return null;
        }
        Schema s = SCHEMAS.getSchema(schema);
        return s.validate(doc);
    }

    static String show(String s) {
        String t = s.replace("\n", "\\n");
        return "«" + (t.length() > 300 ? t.substring(0, 300) + "…" : t) + "»";
    }
}
