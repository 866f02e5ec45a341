package io.hydragen.spark.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hydragen.cli.Main;
import io.hydragen.spark.TestSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
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

import static org.apache.spark.sql.functions.rand;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Chat input: a messages column ({@code array<struct<role, content>>}) rendered by a chat template (a file given
 * with option chat_template, since the synthetic model has none), through Hydragen.generate, hydragen_generate and
 * the DataSource, with the same completions and rendered prompts as {@code bin/hydragen generate} on the same lines.
 */
class ChatInputTest {
    static SparkSession spark;
    @TempDir
    static Path tmp;
    static Path template, lines;
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SYSTEM = "You label the sentiment of a movie review as positive or negative. Answer with one word.";

    @BeforeAll
    static void start() throws Exception {
        spark = TestSpark.shared();
        template = Files.writeString(tmp.resolve("chat.jinja"),
                "{% for m in messages %}{% if m.role == 'bad' %}{{ raise_exception('unknown role: ' + m.role) }}{% endif %}"
                        + "<|{{ m.role }}|>{{ m.content }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}");
        List<String> out = new ArrayList<>();
        String[] reviews = {"I loved every minute.", "Never again.", "A masterpiece of tedium.", "Fun for the whole family.", "Meh."};
        for (int i = 0; i < reviews.length; i++) {
            out.add(JSON.writeValueAsString(Map.of("id", "r" + i, "messages", List.of(
                    Map.of("role", "system", "content", SYSTEM),
                    Map.of("role", "user", "content", "The film was wonderful."), Map.of("role", "assistant", "content", "positive"),
                    Map.of("role", "user", "content", reviews[i])))));
        }
        out.add(JSON.writeValueAsString(Map.of("id", "bad", "messages", List.of(Map.of("role", "bad", "content", "x")))));
        lines = tmp.resolve("chat.jsonl");
        Files.write(lines, out);
    }

    /** id -> [completion, prompt, error] from the CLI. */
    static Map<String, List<String>> cli(String... extra) throws Exception {
        Path out = tmp.resolve("cli.jsonl");
        List<String> args = new ArrayList<>(List.of("generate", "--model", "synthetic:tiny", "--input", lines.toString(),
                "--output", out.toString(), "--backend", "cpu", "-q", "--max-new-tokens", "6", "--min-shared-tokens", "4",
                "--chat-template", template.toString()));
        args.addAll(List.of(extra));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), args.toArray(new String[0]));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        Map<String, List<String>> m = new TreeMap<>();
        for (String line : Files.readAllLines(out)) {
            JsonNode n = JSON.readTree(line);
            boolean error = n.get("finish_reason").asText().equals("error");
            m.put(n.get("id").asText(), java.util.Arrays.asList(error ? null : n.get("completion").asText(),
                    n.path("prompt").isTextual() ? n.get("prompt").asText() : null, error ? n.get("error").asText() : null));
        }
        return m;
    }

    static Map<String, List<String>> spark(Dataset<Row> out) {
        Map<String, List<String>> m = new TreeMap<>();
        for (Row r : out.select("id", "completion", "prompt", "error").collectAsList()) {
            m.put(r.getString(0), java.util.Arrays.asList(r.getString(1), r.getString(2), r.getString(3)));
        }
        return m;
    }

    @Test
    void aMessagesColumnGivesTheCliCompletionsThroughTheApiSqlAndTheDataSource() throws Exception {
        Map<String, List<String>> cli = cli();
        assertEquals(6, cli.size());
        assertEquals("unknown role: bad", cli.get("bad").get(2));
        assertEquals("<|system|>" + SYSTEM + "\n<|user|>The film was wonderful.\n<|assistant|>positive\n<|user|>Meh.\n<|assistant|>",
                cli.get("r4").get(1));

        Dataset<Row> input = spark.read().json(lines.toString());
        GenerateOptions o = GenerateOptions.builder("synthetic:tiny").maxNewTokens(6).minSharedTokens(4).backend("cpu")
                .chatTemplate(template.toString()).build();
        assertFalse(o.chat());
        assertTrue(o.resolveFor(input.schema()).chat(), "no prompt column, a messages column: chat input");
        for (Dataset<Row> in : List.of(input, input.orderBy(rand(3)).repartition(3))) {
            Dataset<Row> out = Hydragen.generate(in, o);
            assertEquals("prompt", out.columns()[out.columns().length - 1]);
            assertEquals(cli, spark(out));
            for (Row r : out.where("id != 'bad'").collectAsList()) {
                assertTrue((int) r.getAs("shared_prompt_tokens") > 0, "rows with the same system prompt share it: " + r);
            }
        }

        input.selectExpr("id", "messages AS conversation").createOrReplaceTempView("chat_rows");
        Dataset<Row> sql = spark.sql("SELECT * FROM hydragen_generate(TABLE(chat_rows), map('model', 'synthetic:tiny', "
                + "'messages_column', 'conversation', 'chat_template', '" + template + "', 'max_new_tokens', '6', "
                + "'min_shared_tokens', '4', 'backend', 'cpu'))");
        assertEquals(cli, spark(sql));

        Dataset<Row> source = spark.read().format("hydragen").option("model", "synthetic:tiny").option("chat_template", template.toString())
                .option("max_new_tokens", "6").option("min_shared_tokens", "4").option("backend", "cpu").load(lines.toString());
        assertEquals(cli, spark(source));
    }

    @Test
    void addGenerationPromptFalseAndRowErrors() throws Exception {
        Map<String, List<String>> cli = cli("--no-generation-prompt");
        assertFalse(cli.get("r0").get(1).endsWith("<|assistant|>"));
        spark.read().json(lines.toString()).createOrReplaceTempView("chat_lines");
        Dataset<Row> sql = spark.sql("SELECT * FROM hydragen_generate(TABLE(chat_lines), 'model', 'synthetic:tiny', "
                + "'chat_template', '" + template + "', 'max_new_tokens', 6, 'min_shared_tokens', 4, 'backend', 'cpu', "
                + "'add_generation_prompt', 'false')");
        assertEquals(cli, spark(sql));

        // a null conversation, a null turn, a struct with no content: each that row's error
        Dataset<Row> odd = spark.sql("SELECT 'n' AS id, CAST(NULL AS array<struct<role: string, content: string>>) AS messages "
                + "UNION ALL SELECT 'e', array(named_struct('role', 'user', 'content', CAST(NULL AS string))) "
                + "UNION ALL SELECT 'ok', array(named_struct('role', 'user', 'content', 'hi'))");
        Map<String, List<String>> got = spark(Hydragen.generate(odd, GenerateOptions.builder("synthetic:tiny").maxNewTokens(2)
                .backend("cpu").chatTemplate(template.toString()).build()));
        assertEquals("messages is null", got.get("n").get(2));
        assertEquals("messages[0] has no content", got.get("e").get(2));
        assertNull(got.get("ok").get(2));
        assertEquals("<|user|>hi\n<|assistant|>", got.get("ok").get(1));

        // no template anywhere: every chat row says so, the job succeeds
        Map<String, List<String>> none = spark(Hydragen.generate(odd.where("id = 'ok'"),
                GenerateOptions.builder("synthetic:tiny").maxNewTokens(2).backend("cpu").build()));
        assertEquals("this model has no chat template; pass --chat-template FILE (option chat_template)", none.get("ok").get(2));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Hydragen.generate(
                spark.sql("SELECT 1 AS id, 2 AS messages"), GenerateOptions.builder("synthetic:tiny").build()));
        assertTrue(e.getMessage().contains("must be array<struct<role: string, content: string>>"), e.getMessage());
    }
}
