package io.hydragen.spark.api;

import io.hydragen.spark.TestSpark;
import io.hydragen.spark.exec.Utf8Prompts;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.*;

/** Reading prompt tables: RFC 4180 csv (quoted newlines, doubled quotes) and input that is not valid UTF-8. */
class PromptTablesTest {
    static SparkSession spark;
    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() { spark = TestSpark.shared(); }

    @Test
    void csvPromptWithQuotedNewlinesAndQuotesIsOneRow() throws Exception {
        String multiLine = "Summarize:\nline one\r\nline two, with a comma\n\nthe end";
        String quoted = "He said \"C:\\temp\\\" is a folder\" and left";
        Path csv = tmp.resolve("multiline.csv");
        Files.writeString(csv, "id,prompt\n"
                + "a,\"" + multiLine.replace("\"", "\"\"") + "\"\n"
                + "b,\"" + quoted.replace("\"", "\"\"") + "\"\n"
                + "c,plain\n", StandardCharsets.UTF_8);
        Map<String, String> byId = new HashMap<>();
        for (Row r : PromptTables.read(spark, csv.toString(), null, Map.of()).select("id", "prompt").collectAsList()) {
            assertNull(byId.put(r.getString(0), r.getString(1)), "one row per id");
        }
        assertEquals(Map.of("a", multiLine, "b", quoted, "c", "plain"), byId);
    }

    @Test
    void readerOptionsStillWinWhateverTheirCase() throws Exception {
        Path csv = tmp.resolve("spark-escaped.csv");
        // written the way Spark's csv writer does by default: a quote inside quotes escaped with a backslash
        Files.writeString(csv, "id,prompt\na,\"say \\\"hi\\\"\"\n", StandardCharsets.UTF_8);
        Row r = PromptTables.read(spark, csv.toString(), "csv", Map.of("ESCAPE", "\\")).select("prompt").first();
        assertEquals("say \"hi\"", r.getString(0));
    }

    @Test
    void textFilesThatAreNotUtf8AreCountedPerFile() throws Exception {
        byte[] bad = {(byte) 0xC3, (byte) 0x28};
        Path dir = Files.createDirectories(tmp.resolve("mixed"));
        ByteArrayOutputStream csv = new ByteArrayOutputStream();
        csv.write("id,prompt\na,fine ü\nb,bad ".getBytes(StandardCharsets.UTF_8));
        csv.write(bad);
        csv.write("\nc,also bad ".getBytes(StandardCharsets.UTF_8));
        csv.write(bad);
        csv.write("\n".getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve("part-0.csv"), csv.toByteArray());
        Files.writeString(dir.resolve("part-1.csv"), "id,prompt\nd,all good \uFFFD is a real character\n");
        Map<String, Long> counts = PromptTables.invalidUtf8Lines(spark, dir.toString(), Map.of());
        assertEquals(1, counts.size(), counts.toString());
        String file = counts.keySet().iterator().next();
        assertTrue(file.endsWith("part-0.csv"), file);
        assertEquals(2L, counts.get(file));
        // the table is still read (Spark has replaced the bytes); the warning names the file and the count
        List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        org.apache.logging.log4j.core.Logger logger =
                (org.apache.logging.log4j.core.Logger) org.apache.logging.log4j.LogManager.getLogger(PromptTables.class);
        org.apache.logging.log4j.core.Appender appender = new org.apache.logging.log4j.core.appender.AbstractAppender(
                "utf8-warnings", null, null, true, org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
            @Override
            public void append(org.apache.logging.log4j.core.LogEvent e) {
                if (e.getLevel() == org.apache.logging.log4j.Level.WARN) warnings.add(e.getMessage().getFormattedMessage());
            }
        };
        appender.start();
        logger.addAppender(appender);
        try {
            assertEquals(4, PromptTables.read(spark, dir.toString(), null, Map.of()).count());
        } finally {
            logger.removeAppender(appender);
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("part-0.csv") && warnings.get(0).contains("2 line(s) are not valid UTF-8"),
                warnings.get(0));
    }

    @Test
    void promptThatIsNotUtf8GetsAnErrorRowAndTheOthersAreAnswered() {
        byte[] bad = "caf\u00e9 ".getBytes(StandardCharsets.ISO_8859_1); // Latin-1 bytes: E9 alone is not UTF-8
        StructType schema = new StructType().add("id", DataTypes.StringType).add("raw", DataTypes.BinaryType);
        Dataset<Row> bytes = spark.createDataFrame(List.of(
                RowFactory.create("good", "Tell me about caf\u00e9s".getBytes(StandardCharsets.UTF_8)),
                RowFactory.create("bad", concat(bad, "latin-1 bytes".getBytes(StandardCharsets.UTF_8))),
                RowFactory.create("other", "Another prompt here".getBytes(StandardCharsets.UTF_8))), schema);
        String parquet = tmp.resolve("latin1_parquet").toString();
        // parquet keeps a string's bytes as they are: the "bad" prompt reaches Spark as invalid UTF-8
        bytes.select(col("id"), col("raw").cast("string").as("prompt")).write().parquet(parquet);

        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").maxNewTokens(3).seed(5).backend("cpu").build();
        for (Dataset<Row> out : List.of(Hydragen.generate(spark.read().parquet(parquet), o),
                spark.read().format("hydragen").option("model", "synthetic:tiny").option("max_new_tokens", "3")
                        .option("seed", "5").option("backend", "cpu").load(parquet))) {
            Map<String, Row> byId = new HashMap<>();
            for (Row r : out.select("id", "completion", "finish_reason", "error").collectAsList()) byId.put(r.getString(0), r);
            assertEquals(3, byId.size());
            Row badRow = byId.get("bad");
            assertEquals("error", badRow.getString(2));
            assertNull(badRow.get(1));
            assertEquals(Utf8Prompts.MESSAGE, badRow.getString(3));
            for (String id : List.of("good", "other")) {
                assertEquals("length", byId.get(id).getString(2), id);
                assertNull(byId.get(id).get(3), id);
            }
        }
    }

    @Test
    void scoringAPromptThatIsNotUtf8NamesIt() {
        byte[] bad = concat("caf\u00e9 ".getBytes(StandardCharsets.ISO_8859_1), "latin-1 bytes".getBytes(StandardCharsets.UTF_8));
        StructType schema = new StructType().add("id", DataTypes.StringType).add("raw", DataTypes.BinaryType);
        Dataset<Row> bytes = spark.createDataFrame(List.of(
                RowFactory.create("good", "Is snow white?".getBytes(StandardCharsets.UTF_8)),
                RowFactory.create("bad", bad)), schema);
        String parquet = tmp.resolve("latin1_score_parquet").toString();
        bytes.select(col("id"), col("raw").cast("string").as("prompt"), array(lit(" yes"), lit(" no")).as("candidates"))
                .write().parquet(parquet);

        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").backend("cpu").build();
        Map<String, Row> byId = new HashMap<>();
        for (Row r : Hydragen.score(spark.read().parquet(parquet), o).select("id", "best", "error").collectAsList()) {
            byId.put(r.getString(0), r);
        }
        assertEquals(2, byId.size());
        assertEquals(Utf8Prompts.MESSAGE, byId.get("bad").getString(2));
        assertNull(byId.get("bad").get(1));
        assertNull(byId.get("good").get(2));
        assertNotNull(byId.get("good").get(1));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
