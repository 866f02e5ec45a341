package io.hydragen.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a Hugging Face directory: one {@code model.safetensors}, or the shards listed by
 * {@code model.safetensors.index.json}'s {@code weight_map} (tensor name -> file name).
 */
public final class ShardedWeights implements WeightSource {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    /** Where a tensor that is absent is reported: the single file, or the index. */
    private final Path catalog;
    private final Map<String, SafeTensorsFile> byTensor;
    private final List<SafeTensorsFile> files;

    private ShardedWeights(Path catalog, Map<String, SafeTensorsFile> byTensor, List<SafeTensorsFile> files) {
        this.catalog = catalog;
        this.byTensor = byTensor;
        this.files = files;
    }

    /** Opens and validates every file's header (not the tensor data, which stays mapped lazily). */
    public static ShardedWeights open(Path dir) {
        Path single = dir.resolve(SINGLE_FILE);
        Path index = dir.resolve(INDEX_FILE);
        if (Files.exists(single)) return single(single);
        if (Files.exists(index)) return sharded(dir, index);
        throw new ModelException(dir + ": no " + SINGLE_FILE + " or " + INDEX_FILE);
    }

    /** One safetensors file holding every tensor. */
    public static ShardedWeights single(Path file) {
        SafeTensorsFile f = SafeTensorsFile.open(file);
        Map<String, SafeTensorsFile> map = new LinkedHashMap<>();
        for (String name : f.header().entries().keySet()) map.put(name, f);
        return new ShardedWeights(file, map, List.of(f));
    }

    private static ShardedWeights sharded(Path dir, Path index) {
        JsonNode root = JsonFiles.readObject(index);
        JsonNode wm = root.get("weight_map");
        if (wm == null || !wm.isObject()) throw new ModelException(index + ": no weight_map object");
        Map<String, SafeTensorsFile> shards = new LinkedHashMap<>();
        Map<String, SafeTensorsFile> byTensor = new LinkedHashMap<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) throw new ModelException(index + ": weight_map entry for " + e.getKey() + " is not a file name");
                String fileName = e.getValue().asText();
                Path shardPath;
                try {
                    shardPath = dir.resolve(fileName).normalize();
                } catch (java.nio.file.InvalidPathException bad) {
                    throw new ModelException(index + ": weight_map names " + fileName + ", which is not a file name");
                }
                if (fileName.isEmpty() || shardPath.getParent() == null || !shardPath.getParent().equals(dir.normalize())) {
                    throw new ModelException(index + ": weight_map names " + fileName + ", which is not a file in " + dir);
                }
                if (!shards.containsKey(fileName)) {
                    if (!Files.exists(shardPath)) throw new ModelException(shardPath + ": missing file (listed in " + INDEX_FILE + ")");
                    shards.put(fileName, SafeTensorsFile.open(shardPath));
                }
                SafeTensorsFile shard = shards.get(fileName);
                if (!shard.contains(e.getKey())) {
                    throw new ModelException(shardPath + ": tensor " + e.getKey() + " missing (" + INDEX_FILE + " places it here)");
                }
                byTensor.put(e.getKey(), shard);
            }
        } catch (RuntimeException e) {
            shards.values().forEach(SafeTensorsFile::close);
            throw e;
        }
        return new ShardedWeights(index, byTensor, new ArrayList<>(shards.values()));
    }

    /** Checks that every expected tensor is present with its shape, without mapping any data. */
    public void validate(List<TensorSpec> expected) {
        for (TensorSpec s : expected) fileOf(s.name()).check(s.name(), s.shape());
    }

    /** Tensor names in file order. */
    public List<String> names() { return new ArrayList<>(byTensor.keySet()); }

    @Override
    public boolean contains(String name) { return byTensor.containsKey(name); }

    @Override
    public Tensor tensor(String name, int... expectedShape) { return fileOf(name).tensor(name, expectedShape); }

    private SafeTensorsFile fileOf(String name) {
        SafeTensorsFile f = byTensor.get(name);
        if (f == null) throw new ModelException(catalog + ": tensor " + name + " missing");
        return f;
    }

    @Override
    public void close() { files.forEach(SafeTensorsFile::close); }
}
