package io.hydragen.spark;

import io.hydragen.spark.kryo.HydragenKryoRegistrator;
import io.hydragen.spark.plugin.HydragenPlugin;
import org.apache.spark.sql.SparkSession;

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
}
