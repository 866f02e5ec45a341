package io.hydragen.generate;

import io.hydragen.constrain.Constraint;
import io.hydragen.model.JsonFiles;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Not a test: decode tokens/s of unconstrained, JSON-schema and choice sampling in one run (docs/benchmarks.md).
 * Every row shares a prefix of P random tokens plus 16 of its own; temperature 1 (or as given), ignore_eos (so unconstrained rows
 * run to the end; constrained rows end when complete). Each variant runs once to warm up (masks computed), then R times, the variants interleaved.
 * <pre>java -cp ... io.hydragen.generate.ConstrainedDecodeBench [model] [batch] [prefix] [newTokens] [threads] [repeats] [temperature]</pre>
 */
public final class ConstrainedDecodeBench {
    public static void main(String[] args) throws Exception {
        String model = args.length > 0 ? args[0] : "synthetic:cpu-bench";
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int prefix = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        int newTokens = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        int repeats = args.length > 5 ? Integer.parseInt(args[5]) : 3;
        double temperature = args.length > 6 ? Double.parseDouble(args[6]) : 1.0;
        String schema = "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":200},"
                + "\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":120},\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":20},\"maxItems\":8}},"
                + "\"required\":[\"name\",\"age\",\"tags\"]}";
        List<String> choices = new ArrayList<>();
        for (int i = 0; i < 16; i++) choices.add("choice number " + i + ": " + "the quick brown fox jumps over the lazy dog ".repeat(4));
        Constraint[] variants = {null, Constraint.jsonSchema(JsonFiles.MAPPER.readTree(schema)), Constraint.choice(choices)};
        String[] names = {"unconstrained", "json_schema", "choice"};
        try (Engine e = Engine.open(EngineOptions.of(model).withBackend("cpu").withThreads(threads).withMinSharedTokens(16))) {
            SplittableRandom rnd = new SplittableRandom(1);
            int vocab = e.model().config().vocabSize();
            int[] shared = new int[prefix];
            for (int i = 0; i < prefix; i++) shared[i] = 3 + rnd.nextInt(256);
            double[] rate = new double[variants.length];
            long[] tokens = new long[variants.length];
            // repeats interleave the variants, so a change of the machine's load mid-run touches all of them alike
            for (int rep = 0; rep <= repeats; rep++) {
                for (int v = 0; v < variants.length; v++) {
                    List<GenerationRequest> reqs = new ArrayList<>();
                    for (int b = 0; b < batch; b++) {
                        int[] ids = java.util.Arrays.copyOf(shared, prefix + 16);
                        for (int i = prefix; i < ids.length; i++) ids[i] = 3 + rnd.nextInt(Math.min(vocab, 1000) - 3);
                        reqs.add(GenerationRequest.ofTokens("r" + b, ids,
                                new SamplingParams(newTokens, temperature, 0, 1.0, b, List.of(), List.of(), true, 1, variants[v])));
                    }
                    BatchStats s = e.generate(reqs).stats();
                    if (rep == 0) continue; // warm-up: JIT, constraint compiled, masks computed
                    rate[v] += s.decodeTokensPerSecond() / repeats;
                    tokens[v] += s.generatedTokens();
                }
            }
            for (int v = 0; v < variants.length; v++) {
                System.out.printf(Locale.ROOT, "%-14s decode %8.1f tokens/s  (%d tokens generated per run)%n", names[v], rate[v], tokens[v] / repeats);
            }
            for (int v = 1; v < variants.length; v++) System.out.printf(Locale.ROOT, "%s / unconstrained = %.3f%n", names[v], rate[v] / rate[0]);
        }
    }
}
