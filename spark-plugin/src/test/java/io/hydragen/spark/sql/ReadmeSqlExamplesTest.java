package io.hydragen.spark.sql;

import io.hydragen.spark.SharedCheckpoints;
import io.hydragen.spark.TestSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The SQL extraction and per-row settings example of spark-plugin/README.md runs as written, on a reference checkpoint. */
class ReadmeSqlExamplesTest {

    static List<String> readmeStatements() throws Exception { return readmeStatements("-- every stop row's `parsed`"); }

    /** The SQL statements of the README's code block that starts at {@code marker}. */
    static List<String> readmeStatements(String marker) throws Exception {
        Path readme = Path.of("README.md");
        if (!Files.exists(readme)) readme = Path.of("spark-plugin/README.md");
        String text = Files.readString(readme);
        int start = text.indexOf(marker);
        assertTrue(start > 0, "the README's example " + marker);
        String block = text.substring(start, text.indexOf("```", start));
        return Arrays.stream(block.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    @Test
    void extractionAndPerRowSettingsRunAsWritten() throws Exception {
        SparkSession spark = TestSpark.shared();
        String model = SharedCheckpoints.require("tiny-llama-bpe");
        spark.createDataFrame(List.of(RowFactory.create(1, "a slow film about a lighthouse"), RowFactory.create(2, "a loud heist comedy")),
                new StructType().add("id", DataTypes.IntegerType).add("review", DataTypes.StringType)).createOrReplaceTempView("reviews");
        spark.createDataFrame(List.of(RowFactory.create(1, "Is it spam? ", 1.0, 4, 7L, List.of("spam", "ham")),
                        RowFactory.create(2, "Say something: ", null, null, null, null)),
                new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType).add("temp", DataTypes.DoubleType)
                        .add("budget", DataTypes.IntegerType).add("row_seed", DataTypes.LongType)
                        .add("labels", DataTypes.createArrayType(DataTypes.StringType))).createOrReplaceTempView("tasks");
        String before = spark.conf().get("spark.hydragen.model", null);
        spark.conf().set("spark.hydragen.model", model);
        try {
            List<String> sql = readmeStatements();
            assertEquals(2, sql.size());
            Dataset<Row> extraction = spark.sql(sql.get(0));
            assertEquals(List.of("id", "name", "year", "finish_reason"), List.of(extraction.columns()));
            assertEquals(DataTypes.LongType, extraction.schema().apply("year").dataType());
            for (Row r : extraction.collectAsList()) {
                assertNotNull(r.get(1));
                assertTrue(r.getLong(2) >= 1880 && r.getLong(2) <= 2030, r.toString());
            }
            List<Row> tasks = spark.sql(sql.get(1)).orderBy("id").collectAsList();
            assertEquals(2, tasks.size());
            assertTrue(List.of("spam", "ham").contains(tasks.get(0).getString(1)), tasks.get(0).toString());
            assertNotNull(tasks.get(1).getString(1));

            // classification, scoring and log-probabilities
            spark.createDataFrame(List.of(RowFactory.create(1, "Is water wet?")), new StructType().add("id", DataTypes.IntegerType)
                    .add("prompt", DataTypes.StringType)).createOrReplaceTempView("questions");
            spark.createDataFrame(List.of(RowFactory.create(1, "Once upon a time")), new StructType().add("id", DataTypes.IntegerType)
                    .add("prompt", DataTypes.StringType)).createOrReplaceTempView("prompts");
            List<String> more = readmeStatements("SELECT id, hydragen_classify(");
            assertEquals(3, more.size());
            List<Row> labels = spark.sql(more.get(0)).collectAsList();
            assertEquals(2, labels.size());
            for (Row r : labels) assertTrue(List.of(" positive", " negative").contains(r.getString(1)), r.toString());
            Row scores = spark.sql(more.get(1)).first();
            assertEquals(2, scores.getList(1).size());
            Row lp = spark.sql(more.get(2)).first();
            assertTrue(lp.getDouble(2) < 0, lp.toString());
            assertEquals(3, lp.getList(3).size());
        } finally {
            if (before == null) spark.conf().unset("spark.hydragen.model");
            else spark.conf().set("spark.hydragen.model", before);
        }
    }
}
