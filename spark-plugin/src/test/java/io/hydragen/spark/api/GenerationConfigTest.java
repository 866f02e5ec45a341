package io.hydragen.spark.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.cli.Main;
import io.hydragen.model.DType;
import io.hydragen.model.Model;
import io.hydragen.model.ModelExporter;
import io.hydragen.model.ModelLoader;
import io.hydragen.spark.TestSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Sampling settings the user leaves unset come from the model's generation_config.json (an exported synthetic model
 * with one written at test time), as in the CLI; the user's values win; generation_config=ignore turns it off.
 */
class GenerationConfigTest {
    static SparkSession spark;
    @TempDir
    static Path tmp;
    static Path model;
    static Dataset<Row> prompts;

    @BeforeAll
    static void start() throws Exception {
        spark = TestSpark.shared();
        model = tmp.resolve("tiny-gen");
        try (Model m = ModelLoader.load("synthetic:tiny")) {
            ModelExporter.saveHuggingFace(m, model, DType.F32);
        }
        ObjectMapper json = new ObjectMapper();
        var cfg = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(model.resolve("generation_config.json").toFile());
        cfg.put("temperature", 1.2).put("top_k", 9).put("top_p", 0.95).put("max_new_tokens", 5).put("max_length", 3);
        json.writeValue(model.resolve("generation_config.json").toFile(), cfg);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 4; i++) rows.add(RowFactory.create("p" + i, "Shared instructions for every row. Row " + i));
        prompts = spark.createDataFrame(rows, new StructType().add("id", DataTypes.StringType).add("prompt", DataTypes.StringType));
    }

    static Map<String, String> run(GenerateOptions o) {
        Map<String, String> m = new TreeMap<>();
        for (Row r : Hydragen.generate(prompts, o).select("id", "completion", "completion_tokens").collectAsList()) {
            m.put(r.getString(0), r.getInt(2) + ":" + r.getString(1));
        }
        return m;
    }

    static GenerateOptions.Builder base() {
        return GenerateOptions.builder(model.toString()).backend("cpu").ignoreEos(true).seed(5).perRowSeeds(false);
    }

    @Test
    void modelDefaultsApplyWhereTheUserSetsNothing() throws Exception {
        Map<String, String> fromModel = run(base().build());
        for (String v : fromModel.values()) assertTrue(v.startsWith("5:"), fromModel.toString());
        assertEquals(run(base().temperature(1.2).topK(9).topP(0.95).maxNewTokens(5).generationConfig("ignore").build()), fromModel);
        Map<String, String> user = run(base().maxNewTokens(3).temperature(0).build());
        assertEquals(run(base().maxNewTokens(3).generationConfig("ignore").build()), user);
        for (String v : user.values()) assertTrue(v.startsWith("3:"), user.toString());
        Map<String, String> ignored = run(GenerateOptions.fromMap(Map.of("model", model.toString(), "backend", "cpu",
                "ignore_eos", "true", "seed", "5", "per_row_seeds", "false", "generation_config", "ignore"), null));
        for (String v : ignored.values()) assertTrue(v.startsWith("16:"), ignored.toString());

        // the CLI resolves the same way
        Path in = tmp.resolve("in.jsonl"), out = tmp.resolve("out.jsonl");
        List<String> lines = new ArrayList<>();
        // each line's own seed 5, as per_row_seeds=false gives every Spark row (the CLI's --seed derives one per line)
        for (Row r : prompts.collectAsList()) {
            lines.add(new ObjectMapper().writeValueAsString(Map.of("id", r.getString(0), "prompt", r.getString(1), "seed", 5)));
        }
        Files.write(in, lines);
        int code = Main.run(new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), "generate", "--model", model.toString(),
                "--input", in.toString(), "--output", out.toString(), "--backend", "cpu", "--ignore-eos", "-q");
        assertEquals(0, code);
        Map<String, String> cli = new TreeMap<>();
        for (String line : Files.readAllLines(out)) {
            JsonNode n = new ObjectMapper().readTree(line);
            cli.put(n.get("id").asText(), n.get("completion_tokens").asInt() + ":" + n.get("completion").asText());
        }
        assertEquals(cli, fromModel);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerateOptions.fromMap(Map.of("model", "synthetic:tiny", "generation_config", "vllm"), null));
        assertTrue(e.getMessage().contains("generation_config must be auto or ignore"), e.getMessage());
    }
}
