package io.hydragen.spark.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.MapData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;

import java.util.ArrayList;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the option arguments of the SQL functions: either one constant {@code map('key', value, ...)} or
 * alternating constant key/value arguments ({@code 'model', 'synthetic:tiny', 'max_new_tokens', 8}).
 * Values may be of any type; they are read as their string form, except arrays ({@code 'stop', array(',', '.')}),
 * which become a JSON array string, the list form every list option accepts.
 */
final class SqlArguments {
    private SqlArguments() {}

    static Map<String, String> options(String function, List<Expression> args) {
        Map<String, String> out = new LinkedHashMap<>();
        if (args.isEmpty()) return out;
        if (args.size() == 1 && args.get(0).dataType() instanceof MapType) {
            MapData map = (MapData) constant(function, args.get(0), "options map");
            if (map == null) return out;
            for (int i = 0; i < map.numElements(); i++) {
                Object k = map.keyArray().get(i, ((MapType) args.get(0).dataType()).keyType());
                DataType valueType = ((MapType) args.get(0).dataType()).valueType();
                out.put(String.valueOf(k), string(map.valueArray().get(i, valueType), valueType));
            }
            return out;
        }
        if (args.size() % 2 != 0) {
            throw new IllegalArgumentException(function + ": options must come in 'key', value pairs (or as one map(...)), "
                    + "got an odd number of option arguments");
        }
        for (int i = 0; i < args.size(); i += 2) {
            Object key = constant(function, args.get(i), "option name");
            if (key == null) throw new IllegalArgumentException(function + ": option name " + (i / 2 + 1) + " is null");
            Object value = constant(function, args.get(i + 1), "value of option '" + key + "'");
            out.put(key.toString(), string(value, args.get(i + 1).dataType()));
        }
        return out;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A constant's string form; an array's is a JSON array of its elements' string forms. */
    static String string(Object value, DataType type) {
        if (value == null) return null;
        if (value instanceof ArrayData array && type instanceof ArrayType at) {
            List<String> items = new ArrayList<>();
            for (int i = 0; i < array.numElements(); i++) {
                Object item = array.isNullAt(i) ? null : array.get(i, at.elementType());
                if (item == null) throw new IllegalArgumentException("option arrays cannot hold NULL");
                items.add(item.toString());
            }
            try {
                return JSON.writeValueAsString(items);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        }
        return value.toString();
    }

    private static Object constant(String function, Expression e, String what) {
        if (!e.foldable()) {
            throw new IllegalArgumentException(function + ": the " + what + " must be a constant, got " + e.sql());
        }
        return e.eval(null);
    }
}
