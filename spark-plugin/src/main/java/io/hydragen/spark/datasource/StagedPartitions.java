package io.hydragen.spark.datasource;

import io.hydragen.spark.exec.RoutedLayout;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.deploy.SparkHadoopUtil;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.StructType;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.UUID;

/**
 * Routed partitions written once to a private staging directory ({@link StagingDirs}: one per scan, mode 0700,
 * files 0600, removed with the scan) on a file system every executor can read (default: the cluster's default file
 * system under {@code /tmp/hydragen-staging-$USER}; option {@code staging_dir} or {@code spark.hydragen.stagingDir}),
 * as length-prefixed {@link UnsafeRow} bytes: Spark's own row format, so any column type survives unchanged and
 * reading back is a copy, not a decode. Each file is written under a temporary name and renamed, so a retried
 * staging task never leaves a half file.
 */
final class StagedPartitions {
    private StagedPartitions() {}

    record Staged(List<PromptGroupPartition> partitions, RoutedLayout layout, StructType routedSchema) {}

    /** @param owner the scan: the staging directory lives as long as it is reachable ({@link StagingDirs}) */
    static Staged write(SparkSession spark, Dataset<Row> routed, int inputColumns, String stagingRoot, Object owner) {
        Path dir = StagingDirs.create(spark.sparkContext(), stagingRoot, owner);
        StructType schema = routed.schema();
        String target = dir.toString();
        Function2<Integer, Iterator<InternalRow>, Iterator<String>> writer = (index, rows) -> {
            Path file = new Path(target, String.format("part-%05d", index));
            Path tmp = new Path(target, String.format(".part-%05d-%s", index, UUID.randomUUID()));
            FileSystem fs = file.getFileSystem(executorConf());
            UnsafeProjection toUnsafe = UnsafeProjection.create(schema);
            long n = 0;
            // 0600 from the start (less the umask), then exactly; the directory is 0700 anyway
            try (FSDataOutputStream raw = fs.create(tmp, StagingDirs.FILE_PERMISSION, true,
                    fs.getConf().getInt("io.file.buffer.size", 65536), fs.getDefaultReplication(tmp),
                    fs.getDefaultBlockSize(tmp), null);
                 DataOutputStream out = new DataOutputStream(raw)) {
                while (rows.hasNext()) {
                    UnsafeRow r = toUnsafe.apply(rows.next());
                    out.writeInt(r.getSizeInBytes());
                    r.writeToStream(out, new byte[4096]);
                    n++;
                }
            }
            fs.setPermission(tmp, StagingDirs.FILE_PERMISSION);
            fs.delete(file, false);
            if (!fs.rename(tmp, file)) throw new IOException("cannot rename " + tmp + " to " + file);
            return List.of(index + "\t" + file + "\t" + n).iterator();
        };
        List<PromptGroupPartition> parts = new ArrayList<>();
        for (String s : routed.queryExecution().toRdd().toJavaRDD().mapPartitionsWithIndex(writer, false).collect()) {
            String[] f = s.split("\t");
            long rows = Long.parseLong(f[2]);
            if (rows > 0) parts.add(new PromptGroupPartition(Integer.parseInt(f[0]), f[1], rows));
        }
        parts.sort(java.util.Comparator.comparingInt(PromptGroupPartition::index));
        return new Staged(parts, RoutedLayout.of(schema, inputColumns), schema);
    }

    /** Reads a staged file back, one row at a time. */
    static Iterator<UnsafeRow> read(PromptGroupPartition p, int numFields) {
        try {
            Path file = new Path(p.file());
            DataInputStream in = new DataInputStream(file.getFileSystem(executorConf()).open(file));
            return new Iterator<>() {
                UnsafeRow next = advance();

                private UnsafeRow advance() {
                    try {
                        int size = in.readInt();
                        byte[] bytes = new byte[size];
                        in.readFully(bytes);
                        UnsafeRow r = new UnsafeRow(numFields);
                        r.pointTo(bytes, size);
                        return r;
                    } catch (EOFException e) {
                        close();
                        return null;
                    } catch (IOException e) {
                        close();
                        throw new UncheckedIOException("cannot read staged prompts " + p.file() + ": " + e.getMessage(), e);
                    }
                }

                private void close() {
                    try {
                        in.close();
                    } catch (IOException ignored) {
                        // reading is over either way
                    }
                }

                @Override
                public boolean hasNext() { return next != null; }

                @Override
                public UnsafeRow next() {
                    if (next == null) throw new NoSuchElementException();
                    UnsafeRow r = next;
                    next = advance();
                    return r;
                }
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open staged prompts " + p.file() + ": " + e.getMessage(), e);
        }
    }

    static Configuration executorConf() {
        SparkEnv env = SparkEnv.get();
        return env == null ? new Configuration() : SparkHadoopUtil.get().newConfiguration(env.conf());
    }
}
