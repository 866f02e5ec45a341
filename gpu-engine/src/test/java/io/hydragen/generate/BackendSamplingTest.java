package io.hydragen.generate;

import io.hydragen.attention.AttentionMode;
import io.hydragen.backend.Backend;
import io.hydragen.backend.ForwardBatch;
import io.hydragen.backend.KvSegment;
import io.hydragen.backend.NextTokens;
import io.hydragen.backend.cpu.CpuBackend;
import io.hydragen.constrain.Constraint;
import io.hydragen.model.Model;
import io.hydragen.model.ModelConfig;
import io.hydragen.model.ModelLoader;
import io.hydragen.sampling.RowSampling;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The generation loop asks the backend to pick tokens ({@link Backend#forwardSample}) with every decode row's settings,
 * and each sample's first token with its step-0 settings in the prefill pass, constrained rows (their mask) and rows
 * with log-probabilities included; null settings (logits back to the host) only for rows prompt log-probabilities need. A recording backend that picks "on the device" (ids and log-probabilities only, no logits: a
 * loop that read logits for such a row would fail) gives the same completions as the host's default path, in both
 * schedulers; a non-finite code from the device ends that row with an error and leaves its batch mates alone.
 */
class BackendSamplingTest {
    static Model model;
    static final List<Backend> open = new ArrayList<>();

    @BeforeAll
    static void load() { model = ModelLoader.load("synthetic:tiny"); }

    @AfterAll
    static void close() { for (Backend b : open) b.close(); }

    /** A CPU backend that picks the tokens itself where it may, like CUDA, and records what the loop asked for. */
    static final class DeviceLike implements Backend {
        final Backend inner;
        int sampledPasses, hostLogitRows, deviceRows, masked, withLogprobs;
        final List<Integer> steps = new ArrayList<>();
        /** The device says row {@code poisonRow}'s logits were NaN at pass {@code poisonPass} (-1: never). */
        int poisonPass = -1, poisonRow;

        DeviceLike(Backend inner) { this.inner = inner; }

        @Override public String name() { return "device-like"; }
        @Override public ModelConfig config() { return inner.config(); }
        @Override public KvSegment newSegment(int capacity) { return inner.newSegment(capacity); }
        @Override public long kvBytesPerToken() { return inner.kvBytesPerToken(); }
        @Override public long availableMemoryBytes() { return inner.availableMemoryBytes(); }
        @Override public void copyKv(KvSegment src, int a, KvSegment dst, int b, int n) { inner.copyKv(src, a, dst, b, n); }
        @Override public float[][] forward(ForwardBatch batch, AttentionMode mode) { return inner.forward(batch, mode); }
        @Override public void close() { inner.close(); }

        @Override
        public NextTokens forwardSample(ForwardBatch batch, AttentionMode mode, RowSampling[] sampling) {
            int pass = sampledPasses++;
            for (RowSampling s : sampling) {
                if (s == null) {
                    hostLogitRows++;
                } else {
                    deviceRows++;
                    steps.add(s.step());
                }
            }
            // the host's rule, as the device applies it: rows with settings get ids (and log-probabilities) only
            NextTokens next = NextTokens.onHost(inner.forward(batch, mode), sampling);
            for (int i = 0; i < sampling.length; i++) {
                if (sampling[i] != null) assertNull(next.logits()[i], "no logits cross for a sampled row");
                if (sampling[i] != null && sampling[i].mask() != null) masked++;
                if (sampling[i] != null && sampling[i].wantsLogprobs()) withLogprobs++;
            }
            if (pass == poisonPass) {
                next.ids()[poisonRow] = NextTokens.NAN;
                next.logprobs()[poisonRow] = null;
            }
            return next;
        }
    }

    static EngineOptions options() {
        return EngineOptions.of("synthetic:tiny").withBackend("cpu").withThreads(2).withMinSharedTokens(4);
    }

    static Engine engine(Backend b) {
        open.add(b);
        return Engine.open(model, b, options());
    }

    static List<GenerationRequest> requests(boolean constrained) {
        List<GenerationRequest> reqs = new ArrayList<>();
        String shared = "A shared instruction for every row of this batch, long enough to share. ";
        reqs.add(GenerationRequest.ofText("hot", shared + "one", new SamplingParams(9, 1.0, 0, 0.9, 5, List.of(), List.of(), true, 2)));
        reqs.add(GenerationRequest.ofText("topk", shared + "two", new SamplingParams(7, 0.7, 20, 1.0, 6, List.of(), List.of(), true, 1)));
        reqs.add(GenerationRequest.ofText("greedy", shared + "three", new SamplingParams(8, 0.0, 0, 1.0, 0, List.of(), List.of(), true, 1)));
        if (constrained) {
            reqs.add(GenerationRequest.ofText("choice", shared + "four", new SamplingParams(12, 1.0, 0, 1.0, 8, List.of(), List.of(), true, 1,
                    Constraint.choice(List.of("alpha beta gamma delta", "epsilon zeta eta theta"))).withLogprobs(3)));
        }
        return reqs;
    }

    static BatchOptions batching(Scheduler kind) { return options().batchOptions().withScheduler(kind); }

    @ParameterizedTest
    @EnumSource(Scheduler.class)
    void unconstrainedRowsArePickedByTheBackendWithTheHostsResults(Scheduler kind) {
        List<Completion> host = engine(new CpuBackend(model, 2)).generate(requests(false), batching(kind), ProgressListener.NONE).completions();
        DeviceLike dev = new DeviceLike(new CpuBackend(model, 2));
        List<Completion> device = engine(dev).generate(requests(false), batching(kind), ProgressListener.NONE).completions();
        ContinuousSchedulerTest.assertSame(host, device);
        // both schedulers: each sample's first token is picked by the backend too, from its own logit row of the prefill
        // pass (the two samples of "hot" share their prompt's last row, repeated), so no logits row comes to the host
        assertEquals(0, dev.hostLogitRows, "no row needed its logits on the host");
        // 4 samples, 9+9+7+8 new tokens: the first token of each from a prefill row (step 0), the rest from decode steps
        assertEquals(4 + 8 + 8 + 6 + 7, dev.deviceRows);
        assertEquals(4, dev.steps.stream().filter(s -> s == 0).count(), "one step-0 pick per sample: " + dev.steps);
        assertTrue(dev.steps.stream().allMatch(s -> s >= 0 && s <= 8), "steps count the tokens so far: " + dev.steps);
    }

    @ParameterizedTest
    @EnumSource(Scheduler.class)
    void aConstrainedRowWithLogprobsIsPickedByTheBackendToo(Scheduler kind) {
        List<Completion> host = engine(new CpuBackend(model, 2)).generate(requests(true), batching(kind), ProgressListener.NONE).completions();
        DeviceLike dev = new DeviceLike(new CpuBackend(model, 2));
        List<Completion> device = engine(dev).generate(requests(true), batching(kind), ProgressListener.NONE).completions();
        ContinuousSchedulerTest.assertSame(host, device);
        Completion choice = device.stream().filter(c -> c.requestId().equals("choice")).findFirst().orElseThrow();
        Completion hostChoice = host.stream().filter(c -> c.requestId().equals("choice")).findFirst().orElseThrow();
        assertTrue(List.of("alpha beta gamma delta", "epsilon zeta eta theta").stream().anyMatch(c -> c.startsWith(choice.text())),
                "constrained text " + choice.text());
        assertEquals(hostChoice.logprobs(), choice.logprobs(), "log-probabilities from the backend are the host's");
        assertEquals(choice.tokenIds().length, choice.logprobs().size());
        assertEquals(0, dev.hostLogitRows, "no row needed its logits on the host: first tokens are picked by the backend too");
        int constrainedPicks = choice.tokenIds().length;   // its first token (step 0, in the prefill pass) and its decode steps
        assertTrue(constrainedPicks > 1);
        assertEquals(5 + 8 + 8 + 6 + 7 + constrainedPicks - 1, dev.deviceRows);
        assertEquals(constrainedPicks, dev.masked, "the constrained row's first pick and decode steps carried its mask");
        assertEquals(constrainedPicks, dev.withLogprobs);
    }

    @ParameterizedTest
    @EnumSource(Scheduler.class)
    void aNonFiniteCodeEndsOnlyItsRow(Scheduler kind) {
        List<GenerationRequest> one = List.of(
                GenerationRequest.ofText("a", "first prompt of two", new SamplingParams(6, 1.0, 0, 1.0, 1, List.of(), List.of(), true, 1)),
                GenerationRequest.ofText("b", "second prompt of two", new SamplingParams(6, 1.0, 0, 1.0, 2, List.of(), List.of(), true, 1)));
        List<Completion> host = engine(new CpuBackend(model, 2)).generate(one, batching(kind), ProgressListener.NONE).completions();
        DeviceLike dev = new DeviceLike(new CpuBackend(model, 2));
        dev.poisonPass = 3;   // pass 0 is the prefill (its first tokens picked in forwardSample too), passes 1-3 steps 1-3
        dev.poisonRow = 0;
        List<Completion> device = engine(dev).generate(one, batching(kind), ProgressListener.NONE).completions();
        int errors = 0;
        for (Completion c : device) {
            Completion h = host.stream().filter(x -> x.requestId().equals(c.requestId())).findFirst().orElseThrow();
            if (c.error() != null) {
                errors++;
                assertEquals("the model produced non-finite logits (NaN) at step 3", c.error());
                assertEquals(FinishReason.ERROR, c.finishReason());
            } else {
                assertNull(h.error());
                assertEquals(java.util.Arrays.toString(h.tokenIds()), java.util.Arrays.toString(c.tokenIds()), c.requestId());
            }
        }
        assertEquals(1, errors, "exactly one row was poisoned");
    }
}
