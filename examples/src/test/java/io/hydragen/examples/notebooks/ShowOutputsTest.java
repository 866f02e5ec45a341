package io.hydragen.examples.notebooks;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Saved vs new show() output: exact, except columns that measure time. */
class ShowOutputsTest {
    static final String SAVED = """
            Spark 4.1.3
            +----+-------------+------------+
            |rows|prompt_tokens|tokens_per_s|
            +----+-------------+------------+
            |  20|         4140|        12.5|
            +----+-------------+------------+

            """;

    @Test
    void timeColumnsMayDifferEvenInWidth() {
        String now = """
                Spark 4.1.3
                +----+-------------+------------+
                |rows|prompt_tokens|tokens_per_s|
                +----+-------------+------------+
                |  20|         4140|      1234.5|
                +----+-------------+------------+

                """;
        assertNull(ShowOutputs.difference(SAVED, now));
        String wider = SAVED.replace("+------------+", "+-------------+").replace("|tokens_per_s|", "| tokens_per_s|")
                .replace("|        12.5|", "|     123456.5|");
        assertNull(ShowOutputs.difference(SAVED, wider));
    }

    @Test
    void otherValuesTextAndRowCountsMustMatch() {
        String d = ShowOutputs.difference(SAVED, SAVED.replace("4140", "4141"));
        assertNotNull(d);
        assertTrue(d.contains("prompt_tokens") && d.contains("4140") && d.contains("4141"), d);
        assertNotNull(ShowOutputs.difference(SAVED, SAVED.replace("Spark 4.1.3", "Spark 4.1.2")));
        assertNotNull(ShowOutputs.difference(SAVED, SAVED.replace("|  20|         4140|        12.5|\n", "")));
        String plain = "+---+\n|  a|\n+---+\n|  x|\n+---+\n";
        assertNotNull(ShowOutputs.difference(plain, plain.replace("x", "y")));
    }

    @Test
    void headersAndRowCounts() {
        assertEquals(List.of(List.of("rows", "prompt_tokens", "tokens_per_s")), ShowOutputs.tableHeaders(SAVED));
        assertEquals(1, ShowOutputs.rowCount(SAVED, 0));
    }
}
