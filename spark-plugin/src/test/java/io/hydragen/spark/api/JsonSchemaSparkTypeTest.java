package io.hydragen.spark.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.types.DataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

/** The Spark type of the parsed column, from JSON schemas (rules in {@link JsonSchemaSparkType}). */
class JsonSchemaSparkTypeTest {
    static DataType of(String schema) throws Exception { return JsonSchemaSparkType.of(new ObjectMapper().readTree(schema)); }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"type\":\"string\"}|string",
            "{\"type\":\"integer\"}|bigint",
            "{\"type\":\"number\"}|double",
            "{\"type\":\"boolean\"}|boolean",
            "{\"type\":\"null\"}|string",
            "{\"enum\":[1,2,3]}|string",
            "{\"type\":\"string\",\"enum\":[\"a\",\"b\"]}|string",
            "{\"const\":true}|string",
            "{\"type\":[\"integer\",\"null\"]}|bigint",
            "{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"number\"}]}|double",
            "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}|string",
            "{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"boolean\"}]}|string",
            "{\"oneOf\":[{\"type\":\"boolean\"},{\"type\":\"null\"}]}|boolean",
            "{\"type\":\"array\",\"items\":{\"type\":\"integer\"},\"maxItems\":3}|array<bigint>",
            "{\"type\":\"array\"}|array<string>",
            "{\"type\":\"object\"}|map<string,string>",
            "{}|string",
    })
    void scalarsAndContainers(String schema, String type) throws Exception {
        assertEquals(type, of(schema).simpleString());
    }

    @Test
    void objectsBecomeStructsInPropertyOrderWithRefsResolved() throws Exception {
        String schema = """
                {"type": "object", "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}},
                 "properties": {
                   "name": {"type": "string", "minLength": 1},
                   "age": {"type": "integer", "minimum": 0},
                   "tags": {"type": "array", "items": {"enum": ["a", "b"]}},
                   "home": {"$ref": "#/$defs/point"},
                   "path": {"type": "array", "items": {"$ref": "#/$defs/point"}},
                   "ok": {"type": "boolean"}},
                 "required": ["name"]}""";
        assertEquals("struct<name:string,age:bigint,tags:array<string>,home:struct<x:double,y:double>,"
                + "path:array<struct<x:double,y:double>>,ok:boolean>", of(schema).simpleString());
        assertTrue(JsonSchemaSparkType.parsable(of(schema)));
        assertFalse(JsonSchemaSparkType.parsable(of("{\"type\":\"integer\"}")));
    }

    @Test
    void aRecursiveReferenceIsAStringNotALoop() throws Exception {
        String schema = "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"next\":{\"$ref\":\"#/$defs/node\"}}}},"
                + "\"$ref\":\"#/$defs/node\"}";
        assertEquals("struct<next:string>", of(schema).simpleString());
    }

    @Test
    void onlyACallLevelJsonSchemaGivesAParsedColumn() {
        GenerateOptions.Builder b = GenerateOptions.builder("synthetic:tiny");
        assertNull(b.build().parsedType());
        assertNull(b.regex("\\d+").build().parsedType());
        assertNull(b.responseFormat("{\"type\":\"json_object\"}").build().parsedType());
        assertNull(b.responseFormat("{\"type\":\"json_schema\",\"schema\":{\"type\":\"integer\"}}").build().parsedType());
        assertEquals("struct<a:bigint>", b.responseFormat(
                "{\"type\":\"json_schema\",\"schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}}}}")
                .build().parsedType().simpleString());
    }
}
