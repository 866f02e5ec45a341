package io.hydragen.spark.model;

import io.hydragen.model.SyntheticModels;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

import java.io.FileNotFoundException;
import java.io.IOException;

/**
 * Checks on the driver, before a job launches tasks, that the model exists, so a typo fails in a second with a
 * message naming the path instead of failing every task after the cluster has started. A model on the local file
 * system is checked completely without loading weights: its config, and every safetensors file's header, tensor
 * shapes and sizes against the file's length (the engine's own {@link ShardedWeights} validation), so a broken
 * or truncated checkpoint is one line naming the file. (A model on a remote file system is checked for existence
 * here, and completely by each executor once fetched.)
 */
public final class ModelPreflight {
    private ModelPreflight() {}

    /** @throws ModelNotFoundException naming the path when it is missing or not a model directory */
    public static void check(String model, Configuration hadoopConf) {
        ModelSpec spec = new ModelSpec(model);
        if (spec.synthetic()) {
            if (spec.raw().length() == ModelSpec.SYNTHETIC_PREFIX.length()) {
                throw new ModelNotFoundException("model '" + model + "' names no synthetic model (use synthetic:NAME, e.g. synthetic:tiny)");
            }
            String name = spec.raw().substring(ModelSpec.SYNTHETIC_PREFIX.length());
            if (!SyntheticModels.names().contains(name)) {
                throw new ModelNotFoundException("model not found: " + model + " is not a synthetic model (known: "
                        + String.join(", ", new java.util.TreeSet<>(SyntheticModels.names())) + ")");
            }
            return;
        }
        Path dir = new Path(spec.raw());
        try {
            FileSystem fs = dir.getFileSystem(hadoopConf);
            FileStatus status;
            try {
                status = fs.getFileStatus(dir);
            } catch (FileNotFoundException e) {
                throw new ModelNotFoundException("model not found: " + model + " does not exist");
            }
            if (!status.isDirectory()) {
                throw new ModelNotFoundException("model not found: " + model + " is a file, not a model directory");
            }
            if (!fs.exists(new Path(dir, "config.json"))) {
                throw new ModelNotFoundException("model not found: " + model + " has no config.json (not a Hugging Face model directory)");
            }
            if ("file".equals(fs.getScheme())) checkFiles(java.nio.file.Path.of(fs.makeQualified(dir).toUri()));
        } catch (IOException e) {
            throw new ModelNotFoundException("model not found: cannot read " + model + ": " + e.getMessage());
        }
    }

    /** The engine's checks of a local model directory, reading headers only: one line naming the file otherwise. */
    static void checkFiles(java.nio.file.Path dir) {
        io.hydragen.model.ModelConfig config = io.hydragen.model.HfConfigReader.read(dir);
        io.hydragen.model.ShardedWeights weights = io.hydragen.model.ShardedWeights.open(dir);
        try {
            weights.validate(io.hydragen.model.LlamaTensors.expected(config));
        } finally {
            weights.close();
        }
    }
}
