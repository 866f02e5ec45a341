package io.hydragen.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON header of a safetensors file: for each tensor its dtype, shape and byte range within the data section.
 * Every entry is checked against the data section's real size here, so a lying header fails at load time with a
 * one-line message instead of a crash or an out-of-memory later.
 */
public final class SafeTensorsHeader {

    /** One tensor's place in the data section; {@code begin}/{@code end} are relative to the data section start. */
    public record Entry(String name, DType dtype, int[] shape, long begin, long end) {
        public long byteSize() { return end - begin; }

        public String shapeString() { return Arrays.toString(shape); }
    }

    private final Map<String, Entry> entries;

    private SafeTensorsHeader(Map<String, Entry> entries) { this.entries = Collections.unmodifiableMap(entries); }

    /** Tensors by name, in header order. */
    public Map<String, Entry> entries() { return entries; }

    /**
     * @param file     names the file in errors
     * @param json     the header bytes
     * @param dataSize bytes in the data section (file size - 8 - header length)
     */
    public static SafeTensorsHeader parse(String file, byte[] json, long dataSize) {
        JsonNode root = JsonFiles.parseObject(file, "header", json);
        Map<String, Entry> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) continue;
            out.put(field.getKey(), entry(file, field.getKey(), field.getValue(), dataSize));
        }
        checkCoverage(file, out, dataSize);
        return new SafeTensorsHeader(out);
    }

    /**
     * As the format requires (and the reference implementation checks): the tensors' byte ranges, in order, tile the
     * data section exactly, with no overlap, no hole and nothing after the last one.
     */
    private static void checkCoverage(String file, Map<String, Entry> entries, long dataSize) {
        List<Entry> sorted = new ArrayList<>(entries.values());
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long covered = 0;
        Entry prev = null;
        for (Entry e : sorted) {
            if (e.begin() < covered) {
                throw new ModelException(file + ": tensor " + e.name() + " has data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlapping tensor " + prev.name() + " [" + prev.begin() + ", " + prev.end() + "]");
            }
            if (e.begin() > covered) {
                throw new ModelException(file + ": bytes [" + covered + ", " + e.begin() + ") of the data section belong to no tensor"
                        + " (a hole before tensor " + e.name() + "; data_offsets must cover the data section exactly)");
            }
            covered = e.end();
            prev = e;
        }
        if (covered != dataSize) {
            throw new ModelException(file + ": bytes [" + covered + ", " + dataSize + ") of the data section belong to no tensor"
                    + " (data_offsets must cover the data section exactly)");
        }
    }

    private static Entry entry(String file, String name, JsonNode n, long dataSize) {
        String at = file + ": tensor " + name;
        if (!n.isObject()) throw new ModelException(at + ": header entry is not an object");
        JsonNode dt = n.get("dtype"), shapeNode = n.get("shape"), offs = n.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw new ModelException(at + " has no dtype");
        DType dtype = switch (dt.asText()) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> throw new ModelException(at + " has unsupported dtype " + dt.asText() + " (supported: F32, F16, BF16)");
        };
        if (shapeNode == null || !shapeNode.isArray()) throw new ModelException(at + " has no shape array");
        int[] shape = new int[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToInt() || d.asInt() < 0) {
                throw new ModelException(at + " has an invalid shape " + shapeNode);
            }
            shape[i] = d.asInt();
            try {
                numel = Math.multiplyExact(numel, shape[i]);
            } catch (ArithmeticException e) {
                throw new ModelException(at + " has an impossibly large shape " + shapeNode);
            }
        }
        if (offs == null || !offs.isArray() || offs.size() != 2 || !offs.get(0).isIntegralNumber() || !offs.get(1).isIntegralNumber()
                || !offs.get(0).canConvertToLong() || !offs.get(1).canConvertToLong()) {
            throw new ModelException(at + " has no valid data_offsets [begin, end]");
        }
        long begin = offs.get(0).asLong(), end = offs.get(1).asLong();
        String range = "data_offsets [" + begin + ", " + end + "]";
        if (begin < 0 || end < 0) throw new ModelException(at + " has negative " + range);
        if (begin > end) throw new ModelException(at + " has " + range + " with begin > end");
        if (end > dataSize) throw new ModelException(at + " has " + range + " out of range (data section is " + dataSize + " bytes)");
        long need;
        try {
            need = Math.multiplyExact(numel, (long) dtype.bytes());
        } catch (ArithmeticException e) {
            throw new ModelException(at + " has an impossibly large shape " + shapeNode);
        }
        if (end - begin != need) {
            throw new ModelException(at + " has " + range + " spanning " + (end - begin) + " bytes, but shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + need);
        }
        return new Entry(name, dtype, shape, begin, end);
    }
}
