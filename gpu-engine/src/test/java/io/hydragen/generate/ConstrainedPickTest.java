package io.hydragen.generate;

import io.hydragen.backend.NextTokens;
import io.hydragen.constrain.Constraint;
import io.hydragen.constrain.TokenIndex;
import io.hydragen.sampling.RowSampling;
import io.hydragen.tokenizer.ByteTokenizer;
import io.hydragen.tokenizer.TokenBytes;
import io.hydragen.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A constrained row whose token the backend picks (the mask travels in its {@link RowSampling}; only the id and the
 * log-probabilities come back): the host moves the automaton along the id, EOS ends it only where the text is a
 * whole match, and a state no token continues is the same error as on the host's path, whatever the sampler returned.
 */
class ConstrainedPickTest {
    private static final int V = 600;
    private final Tokenizer tok = new ByteTokenizer();
    private static final int A = ByteTokenizer.BYTE_OFFSET + 'a', B = ByteTokenizer.BYTE_OFFSET + 'b';

    private Sequence sequence(List<String> choices, byte[][] table, Integer logprobs) {
        TokenIndex index = new TokenIndex(Constraint.choice(choices).byteDfa(), table, V);
        SamplingParams p = new SamplingParams(8, 0.0, 0, 1.0, 0, List.of(), List.of(), false, 1).withLogprobs(logprobs);
        Sequence s = new Sequence(0, 0, new int[] {1}, p);
        s.constraint = ConstraintState.start(index, tok.eosTokenIds());
        return s;
    }

    /** One step as the CPU backend runs it (and the GPU mirrors): the host rule over a pass of one row. */
    private static NextTokens pass(float[] logits, RowSampling rs) { return NextTokens.onHost(new float[][] {logits}, new RowSampling[] {rs}); }

    @Test
    void theBackendsIdMovesTheAutomatonAndEosEndsOnlyWhereAccepting() {
        Sequence s = sequence(List.of("a", "ab"), TokenBytes.table(tok, V), 1);
        StopCheck check = new StopCheck(tok, 1 << 20);
        float[] logits = new float[V];
        logits[B] = 5f;                       // the model prefers b, which the constraint does not allow first
        logits[A] = 3f;
        logits[ByteTokenizer.EOS] = 4f;
        RowSampling first = s.rowSampling();
        assertFalse(first.mask().allows(B) || first.mask().allows(ByteTokenizer.EOS), "only a can start");
        check.accept(s, pass(logits, first), 0);
        assertArrayEquals(new int[] {A}, s.tokens());
        assertEquals(3, s.logprobs.get(0).rank(), "rank under the raw logits: b and EOS are above a");
        assertEquals(B, s.logprobs.get(0).top().get(0).id());

        RowSampling second = s.rowSampling();
        assertTrue(second.mask().key().withEos(), "after a the text is a whole match: EOS joins the mask");
        assertNotEquals(first.mask().key(), second.mask().key());
        assertEquals(second.mask().key(), s.rowSampling().mask().key(), "the same state, the same key: a device keeps the bitmap");
        check.accept(s, pass(logits, second), 0);   // b (5) beats EOS (4) and both are allowed
        assertArrayEquals(new int[] {A, B}, s.tokens());
        assertEquals(FinishReason.STOP, s.finish, "ab is complete");
    }

    @Test
    void eosWhereAcceptingEndsTheRowWithoutMovingIt() {
        Sequence s = sequence(List.of("a", "ab"), TokenBytes.table(tok, V), null);
        StopCheck check = new StopCheck(tok, 1 << 20);
        float[] logits = new float[V];
        logits[A] = 1f;
        logits[ByteTokenizer.EOS] = 6f;
        check.accept(s, pass(logits, s.rowSampling()), 0);
        assertArrayEquals(new int[] {A}, s.tokens());
        check.accept(s, pass(logits, s.rowSampling()), 0);
        assertEquals(FinishReason.STOP, s.finish);
        assertArrayEquals(new int[] {A, ByteTokenizer.EOS}, s.tokens());
    }

    @Test
    void aStateNoTokenContinuesIsTheSameErrorOnBothPaths() {
        byte[][] table = TokenBytes.table(tok, V);
        table[ByteTokenizer.BYTE_OFFSET + 'c'] = null;   // a vocabulary without the byte "ac" needs next
        Sequence viaBackend = sequence(List.of("ac"), table, null), viaHost = sequence(List.of("ac"), table, null);
        StopCheck check = new StopCheck(tok, 1 << 20);
        float[] logits = new float[V];
        logits[A] = 2f;
        check.accept(viaBackend, pass(logits, viaBackend.rowSampling()), 0);
        check.accept(viaHost, Arrays.copyOf(logits, V));
        NextTokens stuck = pass(logits, viaBackend.rowSampling());
        assertEquals(NextTokens.NOTHING_ALLOWED, stuck.ids()[0], "the sampler's code for an empty mask");
        check.accept(viaBackend, stuck, 0);
        check.accept(viaHost, Arrays.copyOf(logits, V));
        for (Sequence s : List.of(viaBackend, viaHost)) {
            assertEquals(FinishReason.ERROR, s.finish);
            assertEquals("no token of the model's vocabulary continues the constrained text at step 1", s.error);
            assertArrayEquals(new int[] {A}, s.tokens());
        }
    }
}
