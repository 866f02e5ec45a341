package io.hydragen.spark.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.spark.TestSpark;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Structured output options (issue #11): response_format, regex and choice reach every row's sampling. */
class StructuredOutputTest {
    static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType);
    static final String JSON_SCHEMA = "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"},"
            + "\"n\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":99}},\"required\":[\"ok\",\"n\"],\"additionalProperties\":false}";

    static List<Row> prompts() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) rows.add(RowFactory.create("r" + i, "Shared instruction for every row of the table. Row " + i));
        return rows;
    }

    @Test
    void optionsParseIntoTheRowsConstraint() {
        GenerateOptions rf = GenerateOptions.fromMap(Map.of("response_format", "{\"type\": \"json_schema\", \"schema\": " + JSON_SCHEMA + "}"), "synthetic:tiny");
        assertTrue(rf.samplingParams(1).constraint() instanceof io.hydragen.constrain.Constraint.JsonSchema);
        assertTrue(GenerateOptions.fromMap(Map.of("regex", "\\d+"), "synthetic:tiny").samplingParams(1).constraint()
                instanceof io.hydragen.constrain.Constraint.Regex);
        var choice = GenerateOptions.fromMap(Map.of("choice", "[\"a,b\", \"c\"]"), "synthetic:tiny").samplingParams(1).constraint();
        assertEquals(List.of("a,b", "c"), ((io.hydragen.constrain.Constraint.Choice) choice).choices());
        assertNull(GenerateOptions.fromMap(Map.of("response_format", "{\"type\": \"text\"}"), "synthetic:tiny").samplingParams(1).constraint());
        assertEquals(rf, rf.toBuilder().build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerateOptions.fromMap(Map.of("response_format", "{\"type\": \"xml\"}"), "synthetic:tiny"));
        assertTrue(e.getMessage().contains("xml"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GenerateOptions.fromMap(Map.of("response_format", "{not json"), "synthetic:tiny"));
    }

    @Test
    void everyRowIsConstrainedOnSpark() throws Exception {
        SparkSession spark = TestSpark.shared();
        var df = spark.createDataFrame(prompts(), SCHEMA).repartition(3);
        GenerateOptions.Builder b = GenerateOptions.builder("synthetic:tiny").backend("cpu").temperature(1.0).seed(5).maxNewTokens(40).batchSize(4);
        int validated = 0;
        for (Row r : Hydragen.generate(df, b.responseFormat("{\"type\": \"json_schema\", \"schema\": " + JSON_SCHEMA + "}").build()).collectAsList()) {
            assertNull(r.getAs("error"));
            String text = r.getAs("completion");
            if ("stop".equals(r.getAs("finish_reason"))) {
                JsonNode doc = new ObjectMapper().readTree(text);
                // the schema by hand (the engine's tests validate with networknt)
                assertEquals(2, doc.size(), text);
                assertTrue(doc.get("ok").isBoolean() && doc.get("n").isIntegralNumber(), text);
                assertTrue(doc.get("n").asInt() >= 0 && doc.get("n").asInt() <= 99, text);
                validated++;
            } else {
                assertEquals("length", r.getAs("finish_reason"));
            }
        }
        assertTrue(validated > 0);
        for (Row r : Hydragen.generate(df, b.choice(List.of("yes", "no")).build()).collectAsList()) {
            assertEquals("stop", r.getAs("finish_reason"));
            assertTrue(List.of("yes", "no").contains((String) r.getAs("completion")), (String) r.getAs("completion"));
        }
        // a schema the engine cannot compile is every row's error, not a failed job
        List<Row> bad = Hydragen.generate(df, b.responseFormat("{\"type\": \"json_schema\", \"schema\": {\"$ref\": \"http://x/y\"}}").build()).collectAsList();
        assertEquals(12, bad.size());
        for (Row r : bad) assertEquals("error", r.getAs("finish_reason"));
    }
}
