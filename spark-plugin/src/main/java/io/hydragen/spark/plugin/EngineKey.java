package io.hydragen.spark.plugin;

import io.hydragen.attention.AttentionMode;
import io.hydragen.spark.api.GenerateOptions;

/** What makes two engines different: tasks whose options map to the same key share one engine. */
public record EngineKey(String model, String backend, int deviceOrdinal, AttentionMode attention, int minSharedTokens,
                        int threads, int maxBatchSequences) {

    static EngineKey of(GenerateOptions o, Placement placement) {
        return new EngineKey(o.model(), placement.backend(), placement.deviceOrdinal(), o.attentionMode(),
                o.minSharedTokens(), o.threads(), Math.max(1, o.batchSize() * o.n()));
    }
}
