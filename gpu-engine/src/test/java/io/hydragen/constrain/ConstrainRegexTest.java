package io.hydragen.constrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dk.brics.automaton.Automaton;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The regex syntax against java.util.regex, and the byte DFA against the character automaton. */
class ConstrainRegexTest {
    static final String ALPHABET = "ab09_-. \n\"\\{}[]:,xyzé日😀\t";

    static List<String> samples(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] cps = ALPHABET.codePoints().toArray();
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(8);
            for (int k = 0; k < len; k++) sb.appendCodePoint(cps[r.nextInt(cps.length)]);
            out.add(sb.toString());
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"a|b", "(ab)*c?", "[a-z0-9_]{2,4}", "\\d+\\.\\d{1,2}", "[^\"\\\\]*", ".{0,3}", "(?:x|yz)+",
            "\\w+\\s\\w+", "日+😀?", "[😀-😂é]+", "\\u00e9|\\x{1F600}", "^a{2}$", "(?<n>a)b{1,}", "[\\]\\-]?[^a-z]",
            "a*?b+?", "[\\s\\S]{2}", "(|a)b", "\\{\\}\\[\\]", "[.](a|)"})
    void matchesLikeJavaRegex(String regex) {
        Pattern java = Pattern.compile(regex, Pattern.UNIX_LINES);
        Automaton ours = Constraint.regex(regex).automaton();
        ByteDfa dfa = Constraint.regex(regex).byteDfa();
        Pattern printed = Pattern.compile(RegexSyntax.print(RegexSyntax.parse(regex)), Pattern.UNIX_LINES);
        int accepted = 0;
        List<String> all = samples(regex.hashCode(), 3000);
        all.addAll(List.of("ab", "c", "abc", "12.5", "aa", "日日😀", "😀é", "é", "\uD83D\uDE00", "x", "yzx", "a b", "{}[]", ".a", "."));
        for (String s : all) {
            boolean expect = java.matcher(s).matches();
            assertEquals(expect, ours.run(s), regex + " on " + Fixtures.show(s));
            assertEquals(expect, printed.matcher(s).matches(), "printed " + RegexSyntax.print(RegexSyntax.parse(regex)) + " on " + s);
            int st = dfa.walk(dfa.initialState(), s.getBytes(StandardCharsets.UTF_8));
            assertEquals(expect, st >= 0 && dfa.accepting(st), "byte DFA of " + regex + " on " + Fixtures.show(s));
            if (expect) accepted++;
        }
        assertTrue(accepted > 0, "no sample matched " + regex);
    }

    @Test
    void byteDfaStatesAreValidPrefixesAndMidCharacterStatesNeverAccept() {
        ByteDfa dfa = Constraint.regex("(日本|😀x|é)+").byteDfa();
        byte[] b = "日本😀xé".getBytes(StandardCharsets.UTF_8);
        int s = dfa.initialState();
        for (int i = 0; i < b.length; i++) {
            s = dfa.next(s, b[i]);
            assertTrue(s >= 0);
            boolean charBoundary = i + 1 == b.length || (b[i + 1] & 0xC0) != 0x80;
            if (!charBoundary) assertTrue(!dfa.accepting(s), "accepting in the middle of a character");
        }
        assertTrue(dfa.accepting(s));
        assertEquals(-1, dfa.next(dfa.initialState(), (byte) 0xE6 + 1), "other lead byte");
        // lone surrogates in a pattern have no UTF-8: a class of code points never includes them
        assertTrue(Constraint.regex("[^a]").automaton().run("\uD83D\uDE00"));
        assertTrue(!Constraint.regex("[^a]{2}").automaton().run("\uD83D\uDE00"), "a supplementary character is one character");
    }

    @ParameterizedTest
    @ValueSource(strings = {"(a)\\1", "a(?=b)", "(?!x)y", "(?<=a)b", "(?i)abc", "\\bword", "a++", "\\p{L}", "a{3,2}", "(ab", "ab)", "*a", "[abc", "\\q"})
    void unsupportedRegexIsAClearError(String regex) {
        ConstraintException e = assertThrows(ConstraintException.class, () -> Constraint.regex(regex).automaton());
        assertTrue(e.getMessage().contains("regex"), e.getMessage());
    }

    @Test
    void emptyLanguageIsAnError() {
        assertThrows(ConstraintException.class, () -> Constraint.regex("[^\\x{0}-\\x{10FFFF}]").byteDfa());
    }
}
