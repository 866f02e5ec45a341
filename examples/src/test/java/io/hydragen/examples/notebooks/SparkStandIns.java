package io.hydragen.examples.notebooks;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PySpark objects the quickstart notebook uses, each mapped onto the Spark JVM API that PySpark itself calls
 * through Py4J ({@code SparkSession.builder}, {@code spark.sql}, {@code spark.read}, {@code DataFrame.show} =
 * {@code Dataset.showString}, ...), so the printed text is what PySpark prints.
 */
final class SparkStandIns {
    private SparkStandIns() {}

    /** {@code pyspark.sql.SparkSession}: only {@code SparkSession.builder}. */
    static PyObject sparkSessionClass(RunContext ctx) {
        return new PyObject() {
            public Object attr(String name) {
                if (name.equals("builder")) return new Builder(ctx);
                throw PyObject.noAttr(this, name);
            }
            public String typeName() { return "type"; }
        };
    }

    /** {@code SparkSession.Builder}: master, appName, config, getOrCreate. */
    static final class Builder implements PyObject {
        private final RunContext ctx;
        private String master;
        private String appName;
        private final Map<String, String> config = new LinkedHashMap<>();

        Builder(RunContext ctx) { this.ctx = ctx; }

        public String typeName() { return "Builder"; }

        public Object attr(String name) {
            return switch (name) {
                case "master" -> (PyCallable) (a, k) -> { master = PyValues.str(PyValues.arg(a, k, 0, "master")); return this; };
                case "appName" -> (PyCallable) (a, k) -> { appName = PyValues.str(PyValues.arg(a, k, 0, "name")); return this; };
                case "config" -> (PyCallable) (a, k) -> {
                    config.put(PyValues.str(PyValues.arg(a, k, 0, "key")), PyValues.str(PyValues.arg(a, k, 1, "value")));
                    return this;
                };
                case "getOrCreate" -> (PyCallable) (a, k) -> getOrCreate();
                default -> throw PyObject.noAttr(this, name);
            };
        }

        private Session getOrCreate() {
            ctx.sessionConfig.putAll(config);
            if (master != null) ctx.sessionConfig.put("spark.master", master);
            if (appName != null) ctx.sessionConfig.put("spark.app.name", appName);
            SparkSession.Builder b = SparkSession.builder();
            for (Map.Entry<String, String> e : config.entrySet()) {
                String key = e.getKey();
                String value = e.getValue();
                if (key.equals("spark.jars")) {
                    for (String jar : value.split(",")) {
                        if (!new java.io.File(jar).isFile()) throw new IllegalArgumentException("spark.jars: no such file " + jar);
                    }
                }
                if (key.equals("spark.driver.extraJavaOptions")) {
                    // PySpark starts the driver JVM with these; the runner's JVM is already running, so check it has them.
                    List<String> jvm = ManagementFactory.getRuntimeMXBean().getInputArguments();
                    for (String flag : value.trim().split("\\s+")) {
                        if (!jvm.contains(flag)) {
                            throw new IllegalStateException("the notebook's driver flag " + flag + " is not among this JVM's flags " + jvm);
                        }
                    }
                    continue;
                }
                b.config(key, value);
            }
            ctx.runnerConfig.forEach(b::config);
            if (master != null) b.master(master);
            if (appName != null) b.appName(appName);
            return new Session(ctx, b.getOrCreate());
        }
    }

    /** {@code pyspark.sql.SparkSession}. */
    static final class Session implements PyObject {
        private final RunContext ctx;
        final SparkSession spark;

        Session(RunContext ctx, SparkSession spark) { this.ctx = ctx; this.spark = spark; }

        public String typeName() { return "SparkSession"; }

        public Object attr(String name) {
            return switch (name) {
                case "version" -> spark.version();
                case "read" -> new Reader(ctx, spark);
                case "sql" -> (PyCallable) (a, k) -> {
                    String query = PyValues.str(PyValues.arg(a, k, 0, "sqlQuery"));
                    ctx.sql.add(query);
                    return new DataFrame(ctx, spark.sql(query));
                };
                case "createDataFrame" -> (PyCallable) (a, k) -> createDataFrame(PyValues.arg(a, k, 0, "data"), PyValues.arg(a, k, 1, "schema"));
                case "stop" -> (PyCallable) (a, k) -> { spark.stop(); return null; };
                default -> throw PyObject.noAttr(this, name);
            };
        }

        /** {@code createDataFrame([(v, ...), ...], "a double, b string")}: rows of tuples with a DDL schema. */
        private DataFrame createDataFrame(Object data, Object schema) {
            if (!(data instanceof List<?> rows) || !(schema instanceof String ddl)) {
                throw new IllegalArgumentException("createDataFrame: the runner supports a list of tuples and a DDL schema string");
            }
            StructType type = StructType.fromDDL(ddl);
            List<Row> out = new ArrayList<>();
            for (Object r : rows) {
                if (!(r instanceof PyTuple t) || t.items().size() != type.size()) {
                    throw new IllegalArgumentException("createDataFrame: each row must be a tuple of " + type.size() + " values");
                }
                Object[] values = new Object[type.size()];
                for (int i = 0; i < values.length; i++) values[i] = convert(t.items().get(i), type.fields()[i]);
                out.add(RowFactory.create(values));
            }
            return new DataFrame(ctx, spark.createDataFrame(out, type));
        }

        private static Object convert(Object v, StructField f) {
            if (v == null) return null;
            DataType t = f.dataType();
            if (t.equals(DataTypes.DoubleType)) return ((Number) v).doubleValue();
            if (t.equals(DataTypes.LongType)) return ((Number) v).longValue();
            if (t.equals(DataTypes.IntegerType)) return ((Number) v).intValue();
            if (t.equals(DataTypes.StringType)) return PyValues.str(v);
            throw new IllegalArgumentException("createDataFrame: column type " + t.simpleString() + " is not supported by the runner");
        }
    }

    /** {@code DataFrameReader}: format, option, load, and the json / parquet / csv shortcuts. */
    static final class Reader implements PyObject {
        private final RunContext ctx;
        private final SparkSession spark;
        private String format;
        private final Map<String, String> options = new LinkedHashMap<>();

        Reader(RunContext ctx, SparkSession spark) { this.ctx = ctx; this.spark = spark; }

        public String typeName() { return "DataFrameReader"; }

        public Object attr(String name) {
            return switch (name) {
                case "format" -> (PyCallable) (a, k) -> { format = PyValues.str(PyValues.arg(a, k, 0, "source")); return this; };
                case "option" -> (PyCallable) (a, k) -> {
                    options.put(PyValues.str(PyValues.arg(a, k, 0, "key")), PyValues.str(PyValues.arg(a, k, 1, "value")));
                    return this;
                };
                case "load" -> (PyCallable) (a, k) -> load(format, PyValues.str(PyValues.arg(a, k, 0, "path")));
                case "json", "parquet", "csv" -> (PyCallable) (a, k) -> {
                    k.forEach((key, v) -> options.put(key, PyValues.str(v)));
                    return load(name, PyValues.str(PyValues.arg(a, k, 0, "path")));
                };
                default -> throw PyObject.noAttr(this, name);
            };
        }

        private DataFrame load(String fmt, String path) {
            if (fmt == null) throw new IllegalArgumentException("load: no format given");
            ctx.reads.add(new RunContext.Read(fmt, Map.copyOf(options), path));
            return new DataFrame(ctx, spark.read().format(fmt).options(options).load(ctx.resolve(path)));
        }
    }

    /** {@code pyspark.sql.DataFrame}: show, cache, count, createOrReplaceTempView. */
    static final class DataFrame implements PyObject {
        private final RunContext ctx;
        final Dataset<Row> ds;

        DataFrame(RunContext ctx, Dataset<Row> ds) { this.ctx = ctx; this.ds = ds; }

        public String typeName() { return "DataFrame"; }

        public Object attr(String name) {
            return switch (name) {
                case "show" -> (PyCallable) this::show;
                case "cache" -> (PyCallable) (a, k) -> new DataFrame(ctx, ds.cache());
                case "count" -> (PyCallable) (a, k) -> ds.count();
                case "columns" -> List.of((Object[]) ds.columns());
                case "createOrReplaceTempView" -> (PyCallable) (a, k) -> {
                    ds.createOrReplaceTempView(PyValues.str(PyValues.arg(a, k, 0, "name")));
                    return null;
                };
                default -> throw PyObject.noAttr(this, name);
            };
        }

        /** PySpark's {@code show(n=20, truncate=True, vertical=False)}: {@code print(self._jdf.showString(n, t, vertical))}. */
        private Object show(List<Object> a, Map<String, Object> k) {
            Object n = PyValues.optionalArg(a, k, 0, "n", 20L);
            Object truncate = PyValues.optionalArg(a, k, 1, "truncate", Boolean.TRUE);
            Object vertical = PyValues.optionalArg(a, k, 2, "vertical", Boolean.FALSE);
            int width = truncate instanceof Boolean b ? (b ? 20 : 0) : ((Number) truncate).intValue();
            String text = ((org.apache.spark.sql.classic.Dataset<Row>) ds).showString(((Number) n).intValue(), width, (Boolean) vertical);
            ctx.print(text + "\n");
            return null;
        }
    }
}
