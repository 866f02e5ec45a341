package io.hydragen.generate;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-pass cap on logits rows for prompt log-probabilities, without a backend. */
class LogitRowBudgetTest {
    static final int CAP = LogitRowBudget.PER_PASS;

    @Test
    void slotsBeforeTheFirstNeededOneCostNothing() {
        LogitRowBudget b = new LogitRowBudget();
        assertEquals(1000, b.take(0, 1000, 1000));
        assertEquals(CAP + 100, b.take(0, CAP + 200, 100), "100 free slots, then as many as the cap");
        assertTrue(b.spent());
        assertEquals(50, b.take(10, 50, 60), "a spent budget still takes slots that need no logits");
        assertEquals(0, b.take(60, 5, 60));
    }

    @Test
    void piecesShareOneBudget() {
        LogitRowBudget b = new LogitRowBudget();
        assertEquals(200, b.take(0, 200, 0));
        assertFalse(b.spent());
        assertEquals(CAP - 200, b.take(0, 200, 0));
        assertTrue(b.spent());
    }

    /** The two schedulers' formulas before they shared this class (BatchRunner's and ContinuousScheduler's), on a grid. */
    @Test
    void agreesWithBothSchedulersFormerArithmetic() {
        for (int used = 0; used <= CAP; used += 37) {
            for (int from = 0; from < 600; from += 53) {
                for (int take = 1; take < 700; take += 61) {
                    for (int first = 0; first < 900; first += 47) {
                        LogitRowBudget b = new LogitRowBudget();
                        b.take(0, used, 0);
                        int got = b.take(from, take, first);
                        // BatchRunner: take = min(take, max(0, first - from) + room) when the piece reaches first
                        int room = CAP - used, batch = take;
                        if (from + take > first) batch = Math.min(take, Math.max(0, first - from) + room);
                        // ContinuousScheduler: take -= needed - left when more rows are needed than are left
                        int cont = take, to = from + take;
                        if (to > first) {
                            int needed = to - Math.max(from, first);
                            if (needed > room) cont -= needed - room;
                        }
                        assertEquals(batch, got, used + " " + from + " " + take + " " + first);
                        assertEquals(cont, got);
                        int rows = Math.max(0, from + got - Math.max(from, first));
                        assertEquals(used + rows >= CAP, b.spent(), "spent exactly when the cap's rows are taken");
                    }
                }
            }
        }
    }
}
