package io.hydragen.spark.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.hydragen.spark.SharedCheckpoints;
import io.hydragen.spark.TestSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Structured output per row and the parsed column (issue #11), on the reference checkpoint with random weights and
 * sampling (the model never "wants" valid JSON): a row's own schema, regex or choice wins over the call's, every
 * {@code stop} completion validates against its row's schema (networknt json-schema-validator, draft 2020-12), and
 * the {@code parsed} struct of every {@code stop} row equals the completion as Jackson parses it.
 */
class StructuredRowsTest {
    static SparkSession spark;
    static String model;
    @TempDir
    static Path tmp;
    static final ObjectMapper JSON = new ObjectMapper();
    static final SchemaRegistry SCHEMAS = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

    static final String PERSON = """
            {"type": "object", "properties": {
              "name": {"type": "string", "maxLength": 6},
              "age": {"type": "integer", "minimum": 0, "maximum": 120},
              "score": {"type": "number", "minimum": 0, "maximum": 10},
              "ok": {"type": "boolean"},
              "kind": {"enum": ["cat", "dog"]},
              "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}, "maxItems": 2},
              "home": {"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}}, "required": ["x", "y"]}},
             "required": ["age", "ok", "kind", "home"], "additionalProperties": false}""";
    static final String POINT = "{\"type\": \"object\", \"properties\": {\"x\": {\"type\": \"integer\", \"minimum\": 0, \"maximum\": 9}}, "
            + "\"required\": [\"x\"], \"additionalProperties\": false}";

    @BeforeAll
    static void start() {
        spark = TestSpark.shared();
        model = SharedCheckpoints.require("tiny-llama-bpe");
    }

    static GenerateOptions.Builder call() {
        return GenerateOptions.builder(model).backend("cpu").idColumn("id").temperature(1.0).seed(3).maxNewTokens(120).batchSize(64);
    }

    static void validates(String schema, String text) throws Exception {
        Schema s = SCHEMAS.getSchema(JSON.readTree(schema));
        assertEquals(List.of(), s.validate(JSON.readTree(text)), text);
    }

    @Test
    void aRowsOwnConstraintWinsOverTheCalls() throws Exception {
        List<Row> rows = new ArrayList<>();
        String prompt = "Fill in the record for the animal described below. Animal ";
        for (int i = 0; i < 24; i++) {
            String rf = i % 4 == 0 ? PERSON : i % 4 == 1 ? "{\"type\": \"json_schema\", \"schema\": " + POINT + "}" : null;
            List<String> ch = i % 4 == 2 ? List.of("yes", "no", "maybe") : null;
            rows.add(RowFactory.create("r" + i, prompt + i, rf, ch));
        }
        rows.add(RowFactory.create("broken", prompt + "x", "{not json", null));
        rows.add(RowFactory.create("both", prompt + "y", POINT, List.of("a")));
        Dataset<Row> t = spark.createDataFrame(rows, new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType)
                .add("rf", DataTypes.StringType).add("ch", DataTypes.createArrayType(DataTypes.StringType)));
        GenerateOptions o = call().regex("[a-z]{1,5}").settingColumn(RowSetting.RESPONSE_FORMAT, "rf")
                .settingColumn(RowSetting.CHOICE, "ch").build();
        int stops = 0;
        List<Row> out = Hydragen.generate(t, o).collectAsList();
        assertEquals(26, out.size());
        for (Row r : out) {
            String id = r.getAs("id"), text = r.getAs("completion"), finish = r.getAs("finish_reason");
            if (id.equals("broken") || id.equals("both")) {
                assertEquals("error", finish, id);
                continue;
            }
            assertNull(r.getAs("error"), id);
            int i = Integer.parseInt(id.substring(1));
            if (!finish.equals("stop")) continue;
            stops++;
            if (i % 4 == 0) validates(PERSON, text);
            else if (i % 4 == 1) validates(POINT, text);
            else if (i % 4 == 2) assertTrue(List.of("yes", "no", "maybe").contains(text), text);
            else assertTrue(text.matches("[a-z]{1,5}"), "the call's regex for a row without its own: " + text);
        }
        assertTrue(stops >= 12, "stop rows: " + stops);
        assertTrue(out.stream().anyMatch(r -> r.getAs("error") != null && ((String) r.getAs("error")).contains("response_format_column 'rf'")));
    }

    @Test
    void everyStopRowsParsedStructEqualsTheJsonItHolds() throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 24; i++) rows.add(RowFactory.create("p" + i, "Describe pet number " + i + " as a JSON record: "));
        Dataset<Row> t = spark.createDataFrame(rows, new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType));
        GenerateOptions o = call().responseFormat("{\"type\": \"json_schema\", \"schema\": " + PERSON + "}").build();
        Dataset<Row> out = Hydragen.generate(t, o);
        StructField parsedField = out.schema().apply(OutputColumns.PARSED);
        assertEquals(JsonSchemaSparkType.of(JSON.readTree(PERSON)), parsedField.dataType());
        Map<String, String> parsedById = new HashMap<>();
        int stops = 0;
        for (Row r : out.collectAsList()) {
            Object parsed = r.getAs(OutputColumns.PARSED);
            parsedById.put(r.getAs("id"), String.valueOf(parsed));
            if (!"stop".equals(r.getAs("finish_reason"))) {
                assertNull(parsed, "parsed is null unless the completion stopped");
                continue;
            }
            stops++;
            String text = r.getAs("completion");
            validates(PERSON, text);
            assertNotNull(parsed, text);
            assertSame(JSON.readTree(text), (Row) parsed, parsedField.dataType(), text);
        }
        assertTrue(stops >= 8, "stop rows: " + stops);

        // SQL and the DataSource give the same parsed column
        t.createOrReplaceTempView("pets");
        String rf = "'{\"type\": \"json_schema\", \"schema\": " + PERSON + "}'"; // PERSON holds no quote or backslash
        for (Row r : spark.sql("SELECT id, parsed, parsed.home.x AS x FROM hydragen_generate(TABLE(pets), map('model', '" + model
                + "', 'backend', 'cpu', 'id_column', 'id', 'temperature', '1', 'seed', '3', 'max_new_tokens', '120', "
                + "'batch_size', '64', 'response_format', " + rf + "))").collectAsList()) {
            assertEquals(parsedById.get(r.getString(0)), String.valueOf(r.get(1)), r.getString(0));
            if (r.get(1) != null) assertEquals(((Row) r.get(1)).getStruct(6).get(0), r.get(2));
        }
        String parquet = tmp.resolve("pets.parquet").toString();
        t.write().parquet(parquet);
        Dataset<Row> source = spark.read().format("hydragen").option("model", model).option("backend", "cpu").option("id_column", "id")
                .option("temperature", "1").option("seed", "3").option("max_new_tokens", "120").option("batch_size", "64")
                .option("response_format", "{\"type\": \"json_schema\", \"schema\": " + PERSON + "}").load(parquet);
        List<Row> read = source.select("id", "parsed").collectAsList();
        assertEquals(24, read.size());
        for (Row r : read) assertEquals(parsedById.get(r.getString(0)), String.valueOf(r.get(1)), r.getString(0));
    }

    /** A Spark value of the parsed column against the JSON document (Jackson's tree), by the type's rules. */
    static void assertSame(JsonNode expected, Object actual, DataType type, String text) {
        if (expected == null || expected.isNull()) {
            assertNull(actual, text);
            return;
        }
        assertNotNull(actual, text);
        if (type instanceof StructType s) {
            Row row = (Row) actual;
            for (int i = 0; i < s.fields().length; i++) {
                assertSame(expected.get(s.fields()[i].name()), row.get(i), s.fields()[i].dataType(), text);
            }
        } else if (type instanceof ArrayType a) {
            List<?> items = scala.jdk.javaapi.CollectionConverters.asJava((scala.collection.Seq<?>) actual);
            assertEquals(expected.size(), items.size(), text);
            for (int i = 0; i < items.size(); i++) assertSame(expected.get(i), items.get(i), a.elementType(), text);
        } else if (type.equals(DataTypes.LongType)) {
            assertTrue(expected.isIntegralNumber(), text);
            assertEquals(expected.longValue(), (Long) actual, text);
        } else if (type.equals(DataTypes.DoubleType)) {
            assertEquals(expected.doubleValue(), (Double) actual, 0.0, text);
        } else if (type.equals(DataTypes.BooleanType)) {
            assertEquals(expected.booleanValue(), actual, text);
        } else {
            assertEquals(expected.isTextual() ? expected.textValue() : expected.toString(), actual, text);
        }
    }
}
