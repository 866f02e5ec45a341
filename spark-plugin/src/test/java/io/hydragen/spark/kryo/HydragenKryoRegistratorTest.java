package io.hydragen.spark.kryo;

import io.hydragen.spark.api.GenerateOptions;
import io.hydragen.spark.exec.BatcherRow;
import io.hydragen.spark.plugin.PluginMessages;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The plugin's records survive Spark's Kryo serializer with registration required. */
class HydragenKryoRegistratorTest {

    @SuppressWarnings("unchecked")
    static <T> T roundTrip(SerializerInstance ser, T value) {
        var tag = ClassTag$.MODULE$.apply(value.getClass());
        return (T) ser.deserialize(ser.serialize(value, (scala.reflect.ClassTag<T>) tag), (scala.reflect.ClassTag<T>) tag);
    }

    @Test
    void recordsRoundTrip() {
        SparkConf conf = new SparkConf().set("spark.kryo.registrationRequired", "true")
                .set("spark.kryo.registrator", HydragenKryoRegistrator.class.getName());
        SerializerInstance ser = new KryoSerializer(conf).newInstance();
        GenerateOptions o = GenerateOptions.builder("hdfs://nn/models/x").stop(List.of("\n", "END")).n(3)
                .prefixColumns("a", "b").temperature(0.5).build();
        assertEquals(o, roundTrip(ser, o));
        BatcherRow p = new BatcherRow("hello", 42L, -7L);
        assertEquals(p, roundTrip(ser, p));
        var m = new PluginMessages.ModelLoaded("3", "synthetic:tiny", "cpu", 12);
        assertEquals(m, roundTrip(ser, m));
    }

    @Test
    void unregisteredClassesAreRefusedSoTheCheckIsReal() {
        SparkConf conf = new SparkConf().set("spark.kryo.registrationRequired", "true");
        SerializerInstance ser = new KryoSerializer(conf).newInstance();
        assertThrows(Exception.class, () -> roundTrip(ser, new BatcherRow("x", 1, 2)));
    }
}
