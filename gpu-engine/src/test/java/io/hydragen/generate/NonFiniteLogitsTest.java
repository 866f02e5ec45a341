package io.hydragen.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hydragen.attention.AttentionMode;
import io.hydragen.model.DType;
import io.hydragen.model.LlamaTensors;
import io.hydragen.model.Model;
import io.hydragen.model.ModelLoader;
import io.hydragen.model.Tensor;
import io.hydragen.model.WeightSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A model whose weights hold NaN for one token: the rows that read it end with finish_reason error and a message
 * naming the step, the other rows of the same batch get what they get from the clean model.
 */
public class NonFiniteLogitsTest {
    /** synthetic:tiny's byte token for 'Z' (id = 3 + byte): its embedding row is NaN in the poisoned model. */
    public static final int POISON = 3 + 'Z';

    /** synthetic:tiny with one embedding row set to {@code value}. */
    public static Model poisoned(Model clean, float value) {
        WeightSource w = new WeightSource() {
            @Override public boolean contains(String name) { return clean.weights().contains(name); }

            @Override public Tensor tensor(String name, int... expectedShape) {
                Tensor t = clean.weights().tensor(name, expectedShape);
                if (!name.equals(LlamaTensors.EMBED_TOKENS)) return t;
                float[] f = t.toFloats();
                int h = t.shape()[1];
                for (int i = 0; i < h; i++) f[POISON * h + i] = value;
                ByteBuffer b = ByteBuffer.allocate(f.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(f);
                return new Tensor(name, DType.F32, t.shape().clone(), b);
            }
        };
        return new Model("synthetic:tiny-poisoned", clean.config(), w, clean.tokenizer());
    }

    static SamplingParams params(double temperature) {
        return new SamplingParams(12, temperature, 0, 1, 5, List.of(), List.of(), true, 1);
    }

    @ParameterizedTest
    @EnumSource(value = AttentionMode.class, names = {"HYDRAGEN", "PER_SEQUENCE", "PER_SEQUENCE_SHARED_KV"})
    void nanLogitsEndThatRowWithAnErrorAndLeaveTheOthersAlone(AttentionMode mode) {
        try (Model clean = ModelLoader.load("synthetic:tiny")) {
            EngineOptions o = EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(4).withAttention(mode);
            String shared = "A shared instruction for all rows: ";
            for (double temperature : new double[] {0, 0.8}) {
                List<GenerationRequest> reqs = List.of(
                        GenerationRequest.ofText("good0", shared + "first question", params(temperature)),
                        GenerationRequest.ofText("bad", shared + "Zebra?", params(temperature)),
                        GenerationRequest.ofText("good1", shared + "second question", params(temperature)));
                GenerationResult want, got;
                try (Engine e = Engine.open(clean, o)) { want = e.generate(reqs); }
                // 'Z' must not be produced by the good rows for them to be unaffected
                for (Completion c : want.completions()) if (!c.requestId().equals("bad")) for (int t : c.tokenIds()) assertTrue(t != POISON);
                try (Engine e = Engine.open(poisoned(clean, Float.NaN), o)) { got = e.generate(reqs); }
                for (int i : new int[] {0, 2}) {
                    Completion w = want.completions().get(i), g = got.completions().get(i);
                    assertEquals(w.text(), g.text());
                    assertArrayEquals(w.tokenIds(), g.tokenIds());
                    assertEquals(w.finishReason(), g.finishReason());
                    assertNull(g.error());
                }
                Completion bad = got.completions().get(1);
                assertEquals(FinishReason.ERROR, bad.finishReason());
                assertEquals("the model produced non-finite logits (NaN) at step 0", bad.error());
                assertEquals(0, bad.tokenIds().length);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = AttentionMode.class, names = {"HYDRAGEN"})
    void infiniteWeightsAreReportedToo(AttentionMode mode) {
        try (Model clean = ModelLoader.load("synthetic:tiny");
             Engine e = Engine.open(poisoned(clean, Float.POSITIVE_INFINITY),
                     EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(1).withAttention(mode))) {
            Completion c = e.generate(List.of(GenerationRequest.ofText("x", "Zz", params(0)))).completions().get(0);
            assertEquals(FinishReason.ERROR, c.finishReason());
            assertTrue(c.error().startsWith("the model produced non-finite logits ("), c.error());
            assertTrue(c.error().endsWith(") at step 0"), c.error());
        }
    }
}
