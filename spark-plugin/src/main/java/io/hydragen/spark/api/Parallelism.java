package io.hydragen.spark.api;

import org.apache.spark.SparkContext;

/**
 * How many generation tasks a job gets when the options do not say. Each executor holds one engine per model, and
 * an engine serves one batch at a time, so tasks beyond one per executor only queue behind each other, and cutting
 * a small table into more partitions than that makes batches smaller (a decode step costs nearly the same for 128
 * sequences as for 256). The default is therefore one task per executor (one in local mode); set
 * {@link GenerateOptions#partitions()} higher for big tables, where smaller tasks make retries and stragglers cheaper.
 */
public final class Parallelism {
    private Parallelism() {}

    public static int partitions(GenerateOptions o, SparkContext sc) {
        if (o.partitions() > 0) return o.partitions();
        if (!o.prefixRouting()) return 0; // unused: the input keeps its partitions
        if (sc.isLocal()) return 1;
        int executors = sc.statusTracker().getExecutorInfos().length - 1; // minus the driver
        if (executors > 0) return executors;
        int configured = sc.conf().getInt("spark.executor.instances", 0);
        return configured > 0 ? configured : Math.max(1, sc.defaultParallelism());
    }
}
