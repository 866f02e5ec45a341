package io.hydragen.spark.kryo;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.exec.BatcherRow;
import io.hydragen.spark.exec.RoutedLayout;
import io.hydragen.spark.plugin.ModelKey;
import io.hydragen.spark.plugin.PluginMessages;
import io.hydragen.spark.plugin.Placement;
import org.apache.spark.serializer.KryoRegistrator;

import java.util.List;

/**
 * Registers the plugin's classes, and the Spark classes its jobs send through the serializer, so that jobs run
 * with {@code spark.serializer=org.apache.spark.serializer.KryoSerializer} and
 * {@code spark.kryo.registrationRequired=true}:
 * {@code spark.kryo.registrator=io.hydragen.spark.kryo.HydragenKryoRegistrator}.
 *
 * <p>Our types are records; Kryo's field serializer cannot build records on Java 17 (their fields are final and
 * set only by the canonical constructor), so they go through Java serialization inside Kryo, which uses that
 * constructor.
 */
public final class HydragenKryoRegistrator implements KryoRegistrator {

    /** Records of this plugin that may travel through Kryo. */
    static final List<Class<?>> RECORDS = List.of(GenerateOptions.class, BatcherRow.class, RoutedLayout.class,
            ModelKey.class, Placement.class, PluginMessages.ExecutorReady.class, PluginMessages.ModelLoaded.class,
            PluginMessages.BatchDone.class, PluginMessages.TaskPlaced.class);

    /**
     * Spark classes that a generate job (range-partition sampling, collect, file writes) serializes with the
     * configured serializer and that Spark itself does not register. Named, not referenced, because several are
     * internal; a name missing from this Spark version is skipped.
     */
    static final List<String> SPARK_CLASSES = List.of(
            "org.apache.spark.sql.catalyst.InternalRow",
            "[Lorg.apache.spark.sql.catalyst.InternalRow;",
            "org.apache.spark.sql.catalyst.expressions.UnsafeRow",
            "[Lorg.apache.spark.sql.catalyst.expressions.UnsafeRow;",
            "org.apache.spark.sql.catalyst.expressions.GenericInternalRow",
            "scala.Tuple3",
            // schemas with nested types travel with generated rows (chat input: array<struct<role, content>>)
            "org.apache.spark.sql.types.ArrayType",
            "org.apache.spark.sql.types.MapType",
            "[Lscala.Tuple3;",
            "scala.reflect.ClassTag$GenericClassTag",
            "org.apache.spark.sql.execution.datasources.WriteTaskResult",
            "org.apache.spark.sql.execution.datasources.BasicWriteTaskStats",
            "org.apache.spark.sql.execution.datasources.ExecutedWriteSummary",
            "org.apache.spark.internal.io.FileCommitProtocol$TaskCommitMessage",
            "org.apache.spark.sql.execution.datasources.v2.DataWritingSparkTaskResult",
            "scala.collection.immutable.Set$EmptySet$",
            "scala.collection.immutable.Map$EmptyMap$",
            "scala.collection.immutable.ArraySeq$ofRef",
            "scala.collection.mutable.ArrayBuffer",
            "java.util.HashMap",
            "java.util.ArrayList",
            "java.lang.Class",
            "java.lang.Object",
            "[Ljava.lang.Object;");

    @Override
    public void registerClasses(Kryo kryo) {
        for (Class<?> c : RECORDS) kryo.register(c, new JavaSerializer());
        for (String name : SPARK_CLASSES) {
            try {
                kryo.register(Class.forName(name, false, Thread.currentThread().getContextClassLoader()));
            } catch (ClassNotFoundException e) {
                // not in this Spark version: nothing to register
            }
        }
    }
}
