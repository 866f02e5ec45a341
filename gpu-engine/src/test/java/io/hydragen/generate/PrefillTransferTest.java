package io.hydragen.generate;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.Backend;
import io.hydragen.backend.ForwardBatch;
import io.hydragen.backend.KvSegment;
import io.hydragen.backend.NextTokens;
import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.model.Model;
import io.hydragen.model.ModelConfig;
import io.hydragen.model.ModelLoader;
import io.hydragen.sampling.RowSampling;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What crosses to the host, counted on the CPU backend: a logits row crosses where the loop asks for it (a row with null
 * settings in {@link Backend#forwardSample}, or any row of a plain {@link Backend#forward}); a row with settings brings
 * back only an id. Generation without log-probabilities brings no logits row to the host in either scheduler, first
 * tokens included; with prompt log-probabilities exactly the rows whose logits predict a wanted prompt token do.
 */
class PrefillTransferTest {
    static Model model;

    @BeforeAll
    static void load() { model = ModelLoader.load("synthetic:tiny"); }

    @AfterAll
    static void close() { model.close(); }

    /** Counts logits rows brought to the host and rows picked where the logits are. */
    static final class TransferCounter implements Backend {
        final Backend inner;
        int hostRows, pickedRows, stepZeroPicks, plainForwards, passesWithARepeatedRow;
        private boolean sampling;

        TransferCounter(Backend inner) { this.inner = inner; }

        @Override public String name() { return inner.name(); }
        @Override public ModelConfig config() { return inner.config(); }
        @Override public KvSegment newSegment(int capacity) { return inner.newSegment(capacity); }
        @Override public long kvBytesPerToken() { return inner.kvBytesPerToken(); }
        @Override public long availableMemoryBytes() { return inner.availableMemoryBytes(); }
        @Override public void copyKv(KvSegment src, int a, KvSegment dst, int b, int n) { inner.copyKv(src, a, dst, b, n); }
        @Override public void close() { inner.close(); }

        @Override
        public float[][] forward(ForwardBatch batch, AttentionMode mode) {
            if (!sampling) {
                plainForwards++;
                hostRows += batch.logitRows().length;
            }
            return inner.forward(batch, mode);
        }

        @Override
        public NextTokens forwardSample(ForwardBatch batch, AttentionMode mode, RowSampling[] rows) {
            int[] idx = batch.logitRows();
            if (java.util.Arrays.stream(idx).distinct().count() < idx.length) passesWithARepeatedRow++;
            for (RowSampling s : rows) {
                if (s == null) hostRows++;
                else {
                    pickedRows++;
                    if (s.step() == 0) stepZeroPicks++;
                }
            }
            sampling = true;
            try {
                NextTokens next = NextTokens.onHost(forward(batch, mode), rows);
                for (int i = 0; i < rows.length; i++) if (rows[i] != null) assertNull(next.logits()[i], "a picked row brings no logits");
                return next;
            } finally {
                sampling = false;
            }
        }
    }

    static Engine engine(TransferCounter counter) {
        return Engine.open(model, counter, EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(8)
                .withPrefixCacheTokens(0));
    }

    static SamplingParams sampled(int n) {
        return new SamplingParams(5, 0.8, 0, 1.0, 11, List.of(), List.of(), true, n);
    }

    @ParameterizedTest
    @EnumSource(Scheduler.class)
    void generationWithoutLogprobsBringsNoLogitsRowToTheHost(Scheduler kind) {
        List<GenerationRequest> reqs = new ArrayList<>(LogprobsEngineTest.hierarchical(sampled(1)));
        reqs.add(GenerationRequest.ofText("twice", "Two samples of one prompt, each with its own draw", sampled(2)));
        TransferCounter counter = new TransferCounter(new CpuBackend(model, 2));
        try (Engine e = engine(counter)) {
            GenerationResult r = e.generate(reqs, e.options().batchOptions().withScheduler(kind), ProgressListener.NONE);
            assertEquals(9, r.completions().size());
            for (Completion c : r.completions()) assertNull(c.error(), c.requestId());
            assertEquals(0, counter.hostRows, "logits rows brought to the host");
            assertEquals(0, counter.plainForwards, "every pass asks the backend to pick");
            assertEquals(9, counter.stepZeroPicks, "each sample's first token picked by the backend");
            assertTrue(counter.passesWithARepeatedRow > 0, "the two samples of one prompt share its last row, repeated");
            long tokens = r.completions().stream().mapToLong(c -> c.tokenIds().length).sum();
            assertEquals(tokens, counter.pickedRows, "one pick per generated token");
        }
    }

    @ParameterizedTest
    @EnumSource(Scheduler.class)
    void promptLogprobsBringExactlyTheRowsThatPredictAPromptToken(Scheduler kind) {
        // every row asks from position 1: each prefilled slot's logits predict the next prompt token, except a prompt's
        // last slot (none of these prompts extends another), whose logits start samples on the backend
        List<GenerationRequest> reqs = LogprobsEngineTest.hierarchical(sampled(1).withPromptLogprobs(1));
        TransferCounter counter = new TransferCounter(new CpuBackend(model, 2));
        try (Engine e = engine(counter)) {
            GenerationResult r = e.generate(reqs, e.options().batchOptions().withScheduler(kind), ProgressListener.NONE);
            for (Completion c : r.completions()) assertNotNull(c.promptLogprobs().get(c.promptTokenIds().length - 1), c.requestId());
            assertTrue(r.stats().sharedPromptTokens() > 0, "the prompts share prefixes, computed once");
            assertEquals(r.stats().prefilledTokens() - reqs.size(), counter.hostRows);
            assertEquals(reqs.size(), counter.stepZeroPicks);
        }
    }

    @ParameterizedTest
    @EnumSource(Scheduler.class)
    void onlyTheRowAskingForPromptLogprobsBringsItsRows(Scheduler kind) {
        List<GenerationRequest> reqs = new ArrayList<>(LogprobsEngineTest.hierarchical(sampled(1)));
        reqs.remove(reqs.size() - 1);   // "own", which shares nothing with the others, asks for prompt log-probabilities here
        reqs.add(GenerationRequest.ofText("own", "A prompt that shares nothing with the others", sampled(1).withPromptLogprobs(2)));
        TransferCounter counter = new TransferCounter(new CpuBackend(model, 2));
        try (Engine e = engine(counter)) {
            GenerationResult r = e.generate(reqs, e.options().batchOptions().withScheduler(kind), ProgressListener.NONE);
            Completion c = r.completions().stream().filter(x -> x.requestId().equals("own")).findFirst().orElseThrow();
            assertEquals(c.promptTokenIds().length - 1, counter.hostRows, "its positions 1.. are predicted by its slots 0..n-2");
        }
    }

    @Test
    void promptLogitsAreKeptOnTheHostOnePerPrompt() {
        TransferCounter counter = new TransferCounter(new CpuBackend(model, 2));
        try (Engine e = engine(counter)) {
            List<int[]> prompts = List.of(new int[] {1, 5, 6, 7}, new int[] {1, 5, 6, 9, 10}, new int[] {2, 3});
            List<float[]> logits = e.promptLogits(prompts);
            for (float[] l : logits) assertEquals(model.config().vocabSize(), l.length);
            assertEquals(prompts.size(), counter.hostRows, "each prompt's last row, and no other");
            assertEquals(0, counter.pickedRows, "their first token is picked on the host from the kept logits");
        }
    }
}
