package io.hydragen.spark.partition;

import io.hydragen.spark.TestSpark;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.apache.spark.sql.functions.rand;
import static org.junit.jupiter.api.Assertions.*;

/** Routing and batching: rows of a prefix group meet in one batch; a big group is cut and spread. */
class PrefixRoutingTest {
    static SparkSession spark;
    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType)
            .add("instruction", DataTypes.StringType)
            .add("doc", DataTypes.StringType)
            .add("prompt", DataTypes.StringType);

    @BeforeAll
    static void start() { spark = TestSpark.shared(); }

    /** 2 instructions x 3 documents x 4 questions, plus one document with 20 questions. */
    static List<Row> table() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String ins = "Instruction " + i + ": read the document and answer the question briefly and exactly. ";
            for (int d = 0; d < 3; d++) {
                String doc = "Document " + i + "." + d + ": " + "words about topic " + d + " ".repeat(1) + "and more text. ".repeat(3);
                for (int q = 0; q < 4; q++) {
                    rows.add(RowFactory.create(i + "-" + d + "-" + q, ins, doc, ins + doc + "Q" + q + "?"));
                }
            }
        }
        String ins = "Instruction big: summarise. ";
        String doc = "Big document: " + "a long body of text. ".repeat(5);
        for (int q = 0; q < 20; q++) rows.add(RowFactory.create("big-" + q, ins, doc, ins + doc + "question number " + q));
        return rows;
    }

    /** (partition, batch within partition) of every row id, as the generate task would batch them. */
    static Map<String, String> batchOf(Dataset<Row> input, GenerateOptions o, int partitions) {
        Dataset<Row> routed = PrefixRouter.route(input, o, partitions);
        int unit = routed.schema().fieldIndex(RoutingColumns.UNIT);
        int batchSize = o.batchSize();
        MapPartitionsFunction<Row, String> f = (Iterator<Row> rows) -> {
            List<String> out = new ArrayList<>();
            UnitBatcher<Row> batches = new UnitBatcher<>(rows, r -> r.getLong(unit), batchSize);
            int b = 0;
            while (batches.hasNext()) {
                List<Row> batch = batches.next();
                assertTrue(batch.size() <= batchSize);
                for (Row r : batch) out.add(r.getString(0) + "=" + TaskContext.getPartitionId() + "/" + b);
                b++;
            }
            return out.iterator();
        };
        Map<String, String> m = new HashMap<>();
        for (String s : routed.mapPartitions(f, Encoders.STRING()).collectAsList()) {
            String[] kv = s.split("=");
            assertNull(m.put(kv[0], kv[1]), "row " + kv[0] + " routed twice");
        }
        return m;
    }

    static String group(String id) { return id.substring(0, id.lastIndexOf('-')); }

    @Test
    void explicitPrefixColumnsKeepEachGroupInOneBatchAndSpreadABigGroup() {
        Dataset<Row> df = spark.createDataFrame(table(), SCHEMA).repartition(4).orderBy(rand(3));
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").prefixColumns("instruction", "doc").batchSize(6).build();
        Map<String, String> batch = batchOf(df, o, 4);
        assertEquals(table().size(), batch.size());
        Map<String, Set<String>> batchesOfGroup = new HashMap<>();
        for (var e : batch.entrySet()) batchesOfGroup.computeIfAbsent(group(e.getKey()), k -> new HashSet<>()).add(e.getValue());
        for (var e : batchesOfGroup.entrySet()) {
            if (!e.getKey().equals("big")) assertEquals(1, e.getValue().size(), "group " + e.getKey() + " split over " + e.getValue());
        }
        // 20 rows with batches of 6: 4 slices, each a whole batch of its own, over more than one partition
        Set<String> bigBatches = batchesOfGroup.get("big");
        assertEquals(4, bigBatches.size(), bigBatches.toString());
        assertTrue(bigBatches.stream().map(s -> s.split("/")[0]).distinct().count() > 1,
                "the big group's slices all went to one partition: " + bigBatches);
    }

    @Test
    void automaticRoutingKeepsRowsSharingTheFirstCharactersTogether() {
        Dataset<Row> df = spark.createDataFrame(table(), SCHEMA).repartition(3).orderBy(rand(5));
        // the routing key (first 80 characters) covers the instruction and the start of the document
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").routingPrefixChars(80).batchSize(8).build();
        Map<String, String> batch = batchOf(df, o, 3);
        for (String id : batch.keySet()) {
            if (id.startsWith("big")) continue;
            for (String other : batch.keySet()) {
                if (group(other).equals(group(id))) assertEquals(batch.get(id), batch.get(other), id + " vs " + other);
            }
        }
    }

    @Test
    void hierarchicalSharingFromPrefixColumns() {
        Dataset<Row> df = spark.createDataFrame(table().subList(0, 24), SCHEMA).repartition(3);
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").prefixColumns("instruction", "doc").batchSize(8)
                .maxNewTokens(2).minSharedTokens(8).backend("cpu").build();
        List<Row> out = Hydragen.generate(df, o).collectAsList();
        assertEquals(24, out.size());
        for (Row r : out) {
            int shared = r.getAs("shared_prompt_tokens");
            String prefix = r.getString(1) + r.getString(2);
            // BOS + instruction + document are shared with the document's other questions
            assertTrue(shared >= prefix.length(), r.getString(0) + " shared " + shared + " of " + prefix.length());
        }
    }
}
