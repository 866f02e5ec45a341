package io.hydragen.spark;

import io.hydragen.spark.kryo.HydragenKryoRegistrator;
import io.hydragen.spark.plugin.HydragenPlugin;
import org.apache.spark.sql.SparkSession;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds the small Spark sessions the tests share (one per test class). */
public final class TestSpark {
    private TestSpark() {}

    /** The local session shared by the test classes of this JVM (Spark start-up costs seconds; tests share one). */
    public static synchronized SparkSession shared() {
        return local("hydragen-tests").getOrCreate();
    }

    /**
     * local[2] with up to 3 attempts per task (local mode otherwise never retries), the plugin, the SQL extensions,
     * and Kryo with registration required, so every test also checks that nothing unregistered is serialized.
     */
    public static SparkSession.Builder local(String appName) {
        return SparkSession.builder()
                .master("local[2,3]")
                .appName(appName)
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.plugins", HydragenPlugin.class.getName())
                .config("spark.sql.extensions", "io.hydragen.spark.sql.HydragenSqlExtensions")
                .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                .config("spark.kryo.registrationRequired", "true")
                .config("spark.kryo.registrator", HydragenKryoRegistrator.class.getName());
    }

    /**
     * {@link #local} on a {@code local-cluster[...]} master: executors forked as separate JVMs, launched like a
     * standalone worker's from a SPARK_HOME stub (empty {@code jars/} and {@code launcher/target/scala-2.13/}; surefire
     * points SPARK_HOME at it) with this test JVM's class path and JVM flags, and a model cache of their own. Stops any
     * session of an earlier test class first.
     */
    public static SparkSession.Builder localCluster(String appName, String master) throws Exception {
        SparkSession.getDefaultSession().foreach(s -> { s.stop(); return null; });
        SparkSession.clearActiveSession();
        SparkSession.clearDefaultSession();
        Path home = Path.of(System.getProperty("spark.test.home", "target/spark-home"));
        Files.createDirectories(home.resolve("jars"));
        Files.createDirectories(home.resolve("launcher/target/scala-2.13"));
        return local(appName)
                .master(master)
                .config("spark.executor.extraClassPath", testClassPath())
                .config("spark.executor.extraJavaOptions", System.getProperty("hydragen.jvm.flags", ""))
                .config("spark.hydragen.modelCacheDir", home.resolve("model-cache").toString());
    }

    /**
     * Waits (bounded by 120 s: forked executor JVMs start slowly on a loaded 2-core machine) until the session has
     * {@code count} executors, the driver included; returns how many it has then (the caller asserts).
     */
    public static int awaitExecutors(SparkSession spark, int count) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        int now;
        while ((now = spark.sparkContext().statusTracker().getExecutorInfos().length) < count && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        return now;
    }

    /** This JVM's class path, with the entries of surefire's manifest-only jar spelled out (for forked executors). */
    public static String testClassPath() throws Exception {
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            entries.add(e);
            if (e.endsWith(".jar") && e.contains("surefire")) {
                try (java.util.jar.JarFile jar = new java.util.jar.JarFile(e)) {
                    String cp = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Class-Path");
                    if (cp != null) {
                        for (String u : cp.trim().split("\\s+")) entries.add(new File(new java.net.URI(u)).getPath());
                    }
                }
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
