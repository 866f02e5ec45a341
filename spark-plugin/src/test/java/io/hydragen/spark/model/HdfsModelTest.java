package io.hydragen.spark.model;

import io.hydragen.generate.Completion;
import io.hydragen.generate.Engine;
import io.hydragen.generate.EngineOptions;
import io.hydragen.generate.GenerationRequest;
import io.hydragen.model.DType;
import io.hydragen.model.Model;
import io.hydragen.model.ModelExporter;
import io.hydragen.model.ModelLoader;
import io.hydragen.spark.TestSpark;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.api.Hydragen;
import io.hydragen.seed.RowSeeds;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** A real HDFS (MiniDFSCluster on loopback) holding a Hugging Face checkpoint, read through hdfs://. */
class HdfsModelTest {
    static MiniDFSCluster dfs;
    static SparkSession spark;
    static String modelUri;
    static java.nio.file.Path localCopy;
    @TempDir
    static java.nio.file.Path tmp;

    @BeforeAll
    static void start() throws Exception {
        java.nio.file.Path local = tmp.resolve("tiny-hf");
        localCopy = local;
        try (Model m = ModelLoader.load("synthetic:tiny")) {
            ModelExporter.saveHuggingFace(m, local, DType.F32);
        }
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("dfs").toString());
        dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        dfs.waitActive();
        FileSystem fs = dfs.getFileSystem();
        fs.copyFromLocalFile(new Path(local.toUri()), new Path("/models/tiny-hf"));
        modelUri = fs.getUri() + "/models/tiny-hf";
        spark = TestSpark.shared();
    }

    @AfterAll
    static void stop() {
        if (dfs != null) dfs.shutdown();
    }

    @Test
    void generatesWithAModelOnHdfsFetchedIntoTheLocalCache() throws Exception {
        java.nio.file.Path cache = tmp.resolve("cache");
        String local = ModelFetcher.localize(modelUri, dfs.getConfiguration(0), cache);
        assertTrue(Files.isRegularFile(java.nio.file.Path.of(local, "config.json")), local);
        assertEquals(local, ModelFetcher.localize(modelUri, dfs.getConfiguration(0), cache), "an unchanged model is not fetched again");
        try (Stream<java.nio.file.Path> entries = Files.list(cache)) {
            assertEquals(1, entries.filter(p -> !p.getFileName().toString().startsWith(".")).count());
        }

        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++) rows.add(RowFactory.create("h" + i, "A prompt read next to a model on HDFS, number " + i));
        GenerateOptions o = GenerateOptions.builder(modelUri).maxNewTokens(5).temperature(0.6).seed(11).backend("cpu").build();
        Map<String, String> got = new TreeMap<>();
        for (Row r : Hydragen.generate(spark.createDataFrame(rows, new StructType().add("id", DataTypes.StringType)
                .add("prompt", DataTypes.StringType)), o).select("id", "completion", "finish_reason").collectAsList()) {
            assertEquals("length", r.getString(2));
            got.put(r.getString(0), r.getString(1));
        }
        Map<String, String> expected = new TreeMap<>();
        try (Engine e = Engine.open(EngineOptions.of(localCopy.toString()).withBackend("cpu"))) {
            List<GenerationRequest> reqs = new ArrayList<>();
            for (Row r : rows) reqs.add(GenerationRequest.ofText(r.getString(0), r.getString(1),
                    o.samplingParams(RowSeeds.forPrompt(o.seed(), r.getString(1), 0))));
            for (Completion c : e.generate(reqs).completions()) expected.put(c.requestId(), c.text());
        }
        // the checkpoint read from HDFS completes exactly like the same checkpoint read from local disk
        assertEquals(expected, got);
    }

    @Test
    void missingModelOnHdfsFailsOnTheDriverNamingThePath() throws Exception {
        String missing = dfs.getFileSystem().getUri() + "/models/absent";
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> Hydragen.generate(
                spark.createDataFrame(List.of(RowFactory.create("x")), new StructType().add("prompt", DataTypes.StringType)),
                GenerateOptions.builder(missing).build()));
        assertTrue(e.getMessage().contains(missing), e.getMessage());
    }
}
