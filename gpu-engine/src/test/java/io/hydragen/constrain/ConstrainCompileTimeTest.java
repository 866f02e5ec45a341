package io.hydragen.constrain;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.tokenizer.TokenBytes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Not a timed test: prints how long a realistic schema takes to compile against each tokenizer's vocabulary
 * (regex, character DFA, byte DFA, vocabulary index, then every state's mask as if all were visited) and what a
 * warm step costs, in CPU time of the measuring thread. {@code main} prints the same.
 */
public class ConstrainCompileTimeTest {
    public static final String PRODUCT = "{\"type\":\"object\",\"properties\":{"
            + "\"name\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":40},"
            + "\"price\":{\"type\":\"number\",\"minimum\":0},"
            + "\"currency\":{\"enum\":[\"USD\",\"EUR\",\"GBP\",\"JPY\"]},"
            + "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":16},\"maxItems\":5},"
            + "\"in_stock\":{\"type\":\"boolean\"},"
            + "\"dimensions\":{\"type\":\"object\",\"properties\":{\"w\":{\"type\":\"number\"},\"h\":{\"type\":\"number\"},\"d\":{\"type\":\"number\"}},\"required\":[\"w\",\"h\"]},"
            + "\"supplier\":{\"anyOf\":[{\"type\":\"null\"},{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"integer\"},\"country\":{\"type\":\"string\",\"pattern\":\"[A-Z]{2}\"}},\"required\":[\"id\"]}]},"
            + "\"description\":{\"type\":\"string\"}},"
            + "\"required\":[\"name\",\"price\",\"currency\",\"tags\",\"in_stock\"]}";

    @Test
    void printCompileTimes() {
        List<Fixtures.Tok> toks = new ArrayList<>(List.of(Fixtures.BYTE));
        toks.addAll(Fixtures.sharedPresent());
        measure(toks); // cold: class loading, JIT
        for (String line : measure(toks)) System.out.println(line);
    }

    static List<String> measure(List<Fixtures.Tok> toks) {
        List<String> out = new ArrayList<>();
        for (Constraint c : List.of(Constraint.jsonSchema(ConstrainJsonSchemaTest.json(PRODUCT)), Constraint.jsonObject())) {
            long t0 = cpu();
            String regex = c.regex();
            long t1 = cpu();
            var chars = c.automaton();
            long t2 = cpu();
            ByteDfa dfa = ByteDfa.fromChars(chars);
            long t3 = cpu();
            String name = c instanceof Constraint.JsonObject ? "json_object" : "product schema";
            out.add(String.format("[constrain] %s: regex %d chars in %.1f ms; char DFA %d states in %.1f ms; byte DFA %d states in %.1f ms",
                    name, regex.length(), ms(t0, t1), chars.getNumberOfStates(), ms(t1, t2), dfa.stateCount(), ms(t2, t3)));
            for (Fixtures.Tok tok : toks) {
                long a = cpu();
                byte[][] table = TokenBytes.table(tok.tokenizer(), tok.vocabSize());
                long b = cpu();
                TokenIndex index = new TokenIndex(dfa, table, tok.vocabSize());
                long d = cpu();
                long allowed = 0;
                for (int s = 0; s < index.stateCount(); s++) allowed += LogitMask.count(index.allowedMask(s));
                long e = cpu();
                int s = index.initialState();
                long f = System.nanoTime();
                int reps = 1_000_000;
                long sink = 0;
                for (int i = 0; i < reps; i++) sink += index.allowedMask(i % index.stateCount())[0];
                long g = System.nanoTime();
                assertTrue(sink != 1 || s >= 0);
                out.add(String.format("[constrain]   %-15s vocab %6d: token bytes %.0f ms + sorted %.0f ms (once per tokenizer), all %d masks %.0f ms (%.2f ms/state, mean %d allowed), warm mask lookup %.0f ns",
                        tok.name(), tok.vocabSize(), ms(a, b), ms(b, d), index.stateCount(), ms(d, e), ms(d, e) / index.stateCount(),
                        allowed / index.stateCount(), (g - f) / (double) reps));
            }
        }
        return out;
    }

    static double ms(long a, long b) { return (b - a) / 1e6; }

    /** CPU time of this thread: on a loaded machine, wall time says more about the neighbours than about us. */
    static long cpu() { return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime(); }

    public static void main(String[] args) {
        List<Fixtures.Tok> toks = new ArrayList<>(List.of(Fixtures.BYTE));
        toks.addAll(Fixtures.sharedPresent());
        for (String line : measure(toks)) System.out.println(line);
    }
}
