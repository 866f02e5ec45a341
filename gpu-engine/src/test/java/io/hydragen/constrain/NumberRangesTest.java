package io.hydragen.constrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Number bounds of JSON schemas: the regex accepts a number exactly when BigDecimal arithmetic says it is in range. */
class NumberRangesTest {
    private static final int DIGITS = 3;

    /** Every integer part from -25 to 25 with a spread of fractions, as JSON writes numbers (plus "-0" forms). */
    private static List<String> candidates() {
        List<String> out = new ArrayList<>();
        String[] fractions = {"", ".0", ".00", ".000", ".5", ".05", ".001", ".999", ".1", ".0000"};
        for (int n = -25; n <= 25; n++) for (String f : fractions) out.add(n + f);
        for (String f : fractions) out.add("-0" + f);
        return out;
    }

    private static boolean inRange(BigDecimal v, Long lo, boolean openLo, Long hi, boolean openHi) {
        if (lo != null && (openLo ? v.compareTo(BigDecimal.valueOf(lo)) <= 0 : v.compareTo(BigDecimal.valueOf(lo)) < 0)) return false;
        return hi == null || (openHi ? v.compareTo(BigDecimal.valueOf(hi)) < 0 : v.compareTo(BigDecimal.valueOf(hi)) <= 0);
    }

    @Test
    void acceptsExactlyTheNumbersInTheInterval() {
        SplittableRandom r = new SplittableRandom(17);
        List<String> candidates = candidates();
        for (int t = 0; t < 300; t++) {
            Long lo = r.nextInt(5) == 0 ? null : (long) r.nextInt(-22, 22);
            Long hi = r.nextInt(5) == 0 ? null : (long) r.nextInt(-22, 22);
            if (lo == null && hi == null) continue;
            boolean openLo = r.nextBoolean(), openHi = r.nextBoolean();
            String regex = NumberRanges.regex(lo, openLo, hi, openHi, 999, DIGITS);
            String where = (openLo ? "(" : "[") + lo + ", " + hi + (openHi ? ")" : "]") + " as " + regex;
            boolean any = false;
            for (String c : candidates) {
                BigDecimal v = new BigDecimal(c);
                // the forms the regex writes: never a negative zero, at most DIGITS fraction digits
                int point = c.indexOf('.');
                boolean writable = !(c.startsWith("-") && v.signum() == 0) && (point < 0 || c.length() - point - 1 <= DIGITS);
                boolean expected = writable && inRange(v, lo, openLo, hi, openHi);
                any |= expected;
                if (regex != null) assertEquals(expected, Pattern.matches(regex, c), c + " in " + where);
            }
            if (regex == null) assertFalse(any, "null regex, but the interval " + where + " holds numbers");
        }
    }

    @Test
    void emptyIntervalsGiveNull() {
        assertNull(NumberRanges.regex(3L, true, 3L, false, 999, DIGITS));
        assertNull(NumberRanges.regex(3L, false, 2L, false, 999, DIGITS));
        assertNull(NumberRanges.regex(0L, false, 0L, true, 999, DIGITS));
        assertTrue(Pattern.matches(NumberRanges.regex(3L, false, 3L, false, 999, DIGITS), "3.00"));
    }

    @Test
    void schemasWithNegativeAndExclusiveBoundsCompile() throws Exception {
        ObjectMapper m = new ObjectMapper();
        Constraint lat = Constraint.jsonSchema(m.readTree("{\"type\":\"number\",\"minimum\":-90,\"maximum\":90}"));
        for (String ok : List.of("-90", "-89.5", "0", "-0.25", "45.125", "90", "90.0")) assertTrue(lat.automaton().run(ok), ok);
        for (String bad : List.of("-90.5", "90.01", "-0", "91", "1e1")) assertFalse(lat.automaton().run(bad), bad);
        Constraint price = Constraint.jsonSchema(m.readTree("{\"type\":\"number\",\"exclusiveMinimum\":0}"));
        for (String ok : List.of("0.01", "1", "12345.5")) assertTrue(price.automaton().run(ok), ok);
        for (String bad : List.of("0", "0.0", "-1", "-0.5")) assertFalse(price.automaton().run(bad), bad);
    }
}
