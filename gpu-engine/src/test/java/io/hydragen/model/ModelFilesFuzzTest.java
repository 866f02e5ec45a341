package io.hydragen.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.hydragen.tokenizer.Tokenizer;
import io.hydragen.tokenizer.TokenizerLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property-based fuzzing of the files of a model directory: safetensors bytes and headers, config.json and
 * tokenizer.json, damaged at random. Every case either loads (and its tensors read, its tokenizer encodes) or fails
 * with a one-line {@link ModelException}; never another exception, an Error or a hang.
 */
class ModelFilesFuzzTest {
    static Path root, model, work, sharded;
    static byte[] safetensors, config, tokenizer, index, generationConfig, tokenizerConfig;
    static int headerEnd;

    @BeforeContainer
    static void setUp() throws IOException {
        root = Files.createTempDirectory("hydragen-fuzz");
        model = Checkpoints.write(root.resolve("model"), Checkpoints.config("llama", 2, 1, false, false), DType.F32);
        work = Files.createDirectories(root.resolve("work"));
        for (String f : List.of("model.safetensors", "generation_config.json", "config.json", "tokenizer.json", "tokenizer_config.json")) {
            if (Files.exists(model.resolve(f))) Files.copy(model.resolve(f), work.resolve(f));
        }
        config = Files.readAllBytes(model.resolve("config.json"));
        generationConfig = Files.readAllBytes(model.resolve("generation_config.json"));
        tokenizerConfig = Files.readAllBytes(model.resolve("tokenizer_config.json"));
        sharded = root.resolve("sharded");
        ModelExporter.saveHuggingFace(Checkpoints.model(Checkpoints.config("llama", 2, 1, false, false)), sharded, DType.F32, 20_000);
        index = Files.readAllBytes(sharded.resolve(ShardedWeights.INDEX_FILE));
        tokenizer = Files.readAllBytes(model.resolve("tokenizer.json"));
        // a small file of its own for the safetensors properties: three tensors of three dtypes and an empty one
        Path st = root.resolve("small.safetensors");
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 16; i++) data.putFloat(i, 0); // zeros
        SafeTensorsWriter.write(st, List.of(
                new SafeTensorsWriter.Entry("a", DType.F32, new int[] {2, 4}, () -> data.duplicate().position(0).limit(32).slice()),
                new SafeTensorsWriter.Entry("b", DType.BF16, new int[] {4}, () -> data.duplicate().position(32).limit(40).slice()),
                new SafeTensorsWriter.Entry("c", DType.F16, new int[] {2, 2, 1}, () -> data.duplicate().position(40).limit(48).slice()),
                new SafeTensorsWriter.Entry("e", DType.F32, new int[] {0, 3}, () -> data.duplicate().position(48).limit(48).slice())));
        safetensors = Files.readAllBytes(st);
        headerEnd = 8 + (int) ByteBuffer.wrap(safetensors).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    @AfterContainer
    static void tearDown() throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    static void write(Path p, byte[] b) {
        try {
            Files.write(p, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Opens the file and reads every tensor it lists. */
    static void openAndRead(Path file) {
        try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
            for (String name : f.header().entries().keySet()) f.tensor(name).toFloats();
        }
    }

    @Property(tries = 200, shrinking = ShrinkingMode.OFF)
    void damagedSafetensorsBytes(@ForAll long seed) {
        Random r = new Random(seed);
        boolean header = r.nextInt(4) > 0;
        byte[] b = Fuzz.mutateBytes(r, safetensors, header ? 8 : 0, header ? headerEnd : safetensors.length);
        Path f = root.resolve("bytes.safetensors");
        write(f, b);
        Fuzz.loadsOrFailsClearly("seed " + seed, () -> openAndRead(f));
    }

    @Property(tries = 100, shrinking = ShrinkingMode.OFF)
    void anyHeaderLength(@ForAll long length) {
        byte[] b = safetensors.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, length);
        Path f = root.resolve("length.safetensors");
        write(f, b);
        Fuzz.loadsOrFailsClearly("header length " + length, () -> openAndRead(f));
    }

    @Property(tries = 200, shrinking = ShrinkingMode.OFF)
    void mutatedSafetensorsHeader(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        JsonNode header = JsonFiles.MAPPER.readTree(new String(safetensors, 8, headerEnd - 8, StandardCharsets.UTF_8));
        // the entries and their shape / data_offsets arrays are the targets
        List<JsonNode> pool = new ArrayList<>();
        for (JsonNode e : header) {
            pool.add(e);
            if (e.has("shape")) pool.add(e.get("shape"));
            if (e.has("data_offsets")) pool.add(e.get("data_offsets"));
        }
        if (r.nextInt(8) == 0) pool.add(header);
        Fuzz.mutateJson(r, header, 1 + r.nextInt(3), pool);
        if (r.nextInt(10) == 0) ((ObjectNode) header).set("__metadata__", Fuzz.value(r, 0));
        byte[] h = JsonFiles.MAPPER.writeValueAsBytes(header);
        int dataSize = Math.max(0, safetensors.length - headerEnd + (r.nextInt(4) == 0 ? r.nextInt(33) - 16 : 0));
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataSize).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = root.resolve("header.safetensors");
        write(f, b.array());
        Fuzz.loadsOrFailsClearly("seed " + seed + " header " + header, () -> openAndRead(f));
    }

    /** config.json mostly; generation_config.json and tokenizer_config.json (where BOS and EOS come from) too. */
    @Property(tries = 150, shrinking = ShrinkingMode.OFF)
    void mutatedConfigJson(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        int which = r.nextInt(4);
        String name = which == 0 ? "generation_config.json" : which == 1 ? "tokenizer_config.json" : "config.json";
        byte[] original = which == 0 ? generationConfig : which == 1 ? tokenizerConfig : config;
        byte[] b;
        if (r.nextInt(5) == 0) {
            b = Fuzz.mutateBytes(r, original, 0, original.length);
        } else {
            JsonNode c = JsonFiles.MAPPER.readTree(original);
            Fuzz.mutateJson(r, c, 1 + r.nextInt(3), null);
            b = JsonFiles.MAPPER.writeValueAsBytes(c);
        }
        write(work.resolve(name), b);
        try {
            Fuzz.loadsOrFailsClearly("seed " + seed + " " + name + " " + new String(b, StandardCharsets.UTF_8),
                    () -> ModelLoader.load(work.toString()).close());
        } finally {
            write(work.resolve(name), original);
        }
    }

    /** Found by fuzzing: a billion layers hung the loader (building the list of expected tensors). */
    @Example
    void absurdLayerCountIsRefusedAtOnce() throws IOException {
        ObjectNode c = (ObjectNode) JsonFiles.MAPPER.readTree(config);
        c.put("num_hidden_layers", 1_000_000_000);
        write(work.resolve("config.json"), JsonFiles.MAPPER.writeValueAsBytes(c));
        try {
            Fuzz.loadsOrFailsClearly("a billion layers", () -> ModelLoader.load(work.toString()).close());
            ModelException e = org.junit.jupiter.api.Assertions.assertThrows(ModelException.class, () -> ModelLoader.load(work.toString()));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("num_hidden_layers 1000000000 is out of range: it must be between 1 and 4096"), e.getMessage());
        } finally {
            write(work.resolve("config.json"), config);
        }
    }

    /** Found by fuzzing: a weight_map naming "/" was a NullPointerException, one naming a NUL an InvalidPathException. */
    @Example
    void shardIndexNamingTheRootOrANul() throws IOException {
        for (String bad : List.of("/", "", "a\u0000b", "../x.safetensors")) {
            ObjectNode c = (ObjectNode) JsonFiles.MAPPER.readTree(index);
            ((ObjectNode) c.get("weight_map")).put("model.norm.weight", bad);
            write(sharded.resolve(ShardedWeights.INDEX_FILE), JsonFiles.MAPPER.writeValueAsBytes(c));
            try {
                ModelException e = org.junit.jupiter.api.Assertions.assertThrows(ModelException.class, () -> ModelLoader.load(sharded.toString()));
                org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("weight_map names "), e.getMessage());
            } finally {
                write(sharded.resolve(ShardedWeights.INDEX_FILE), index);
            }
        }
    }

    @Property(tries = 100, shrinking = ShrinkingMode.OFF)
    void mutatedShardIndex(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        byte[] b;
        if (r.nextInt(4) == 0) {
            b = Fuzz.mutateBytes(r, index, 0, index.length);
        } else {
            JsonNode c = JsonFiles.MAPPER.readTree(index);
            List<JsonNode> pool = new ArrayList<>(List.of(c.path("weight_map"), c.path("weight_map"), c));
            Fuzz.mutateJson(r, c, 1 + r.nextInt(3), pool);
            b = JsonFiles.MAPPER.writeValueAsBytes(c);
        }
        write(sharded.resolve(ShardedWeights.INDEX_FILE), b);
        try {
            Fuzz.loadsOrFailsClearly("seed " + seed + " index " + new String(b, StandardCharsets.UTF_8),
                    () -> ModelLoader.load(sharded.toString()).close());
        } finally {
            write(sharded.resolve(ShardedWeights.INDEX_FILE), index);
        }
    }

    @Property(tries = 150, shrinking = ShrinkingMode.OFF)
    void mutatedTokenizerJson(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        byte[] b;
        if (r.nextInt(3) == 0) {
            b = Fuzz.mutateBytes(r, tokenizer, 0, tokenizer.length);
        } else {
            JsonNode t = JsonFiles.MAPPER.readTree(tokenizer);
            List<JsonNode> pool = new ArrayList<>();
            for (JsonNode c : Fuzz.containers(t)) if (c.size() < 40) pool.add(c); // not the vocabulary itself, mostly
            pool.add(t.path("model").path("vocab"));
            Fuzz.mutateJson(r, t, 1 + r.nextInt(3), pool);
            b = JsonFiles.MAPPER.writeValueAsBytes(t);
        }
        Path dir = root.resolve("tok");
        Files.createDirectories(dir);
        write(dir.resolve("tokenizer.json"), b);
        Fuzz.loadsOrFailsClearly("seed " + seed, () -> {
            try (Tokenizer tok = TokenizerLoader.load(dir, 300)) {
                int[] ids = tok.encode("Hello wörld € 😀 <s></s>", true);
                tok.decode(ids);
            }
        });
    }
}
