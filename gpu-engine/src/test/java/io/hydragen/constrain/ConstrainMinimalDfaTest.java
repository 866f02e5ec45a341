package io.hydragen.constrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dk.brics.automaton.Automaton;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link MinimalDfa} against dk.brics' own minimization: the same language, the same (minimal) number of states. */
class ConstrainMinimalDfaTest {

    @Test
    void equalsBricsMinimizeOnRegexesAndSchemas() {
        List<String> regexes = new ArrayList<>(List.of("", "a*", "(ab|a)(bc|c)*", "[a-z]{0,12}x?", "😀|日本{1,3}|[^\"\\\\]{2,5}",
                "\\d{3}-\\d{4}", "(?:yes|no|maybe)", "[\\x00-\\x{10FFFF}]{0,3}"));
        for (String s : ConstrainJsonSchemaTest.SCHEMAS) regexes.add(JsonSchemaRegex.translate(ConstrainJsonSchemaTest.json(s)));
        regexes.add(JsonSchemaRegex.translate(ConstrainJsonSchemaTest.json(ConstrainCompileTimeTest.PRODUCT)));
        for (String re : regexes) {
            Automaton ours = RegexSyntax.compile(RegexSyntax.parse(re));
            Automaton ref = RegexSyntax.compile(RegexSyntax.parse(re)).clone();
            ref.minimize();
            assertEquals(ref.getNumberOfStates(), ours.getNumberOfStates(), re);
            assertTrue(ours.isDeterministic(), re);
            assertTrue(ours.equals(ref), re);
        }
        for (String plain : List.of("a*", "(ab|a)(bc|c)*", "x{2,5}(y|z)?")) { // syntax dk.brics' own parser reads alike
            Automaton brics = new dk.brics.automaton.RegExp(plain, dk.brics.automaton.RegExp.NONE).toAutomaton();
            assertTrue(RegexSyntax.compile(RegexSyntax.parse(plain)).equals(brics), plain);
        }
        // a chain longer than Moore's round limit goes to dk.brics' Hopcroft: still minimal and exact
        Automaton chain = RegexSyntax.compile(RegexSyntax.parse("[a-z]{0,3000}x"));
        Automaton chainRef = chain.clone();
        chainRef.minimize();
        assertEquals(chainRef.getNumberOfStates(), chain.getNumberOfStates());
        assertTrue(chain.run("a".repeat(3000) + "x") && chain.run("x") && !chain.run("a".repeat(3001) + "x"));
        assertTrue(RegexSyntax.compile(RegexSyntax.parse("a{2}")).run("aa"));
        assertTrue(!RegexSyntax.compile(RegexSyntax.parse("a{2}")).run("a"));
    }

}
