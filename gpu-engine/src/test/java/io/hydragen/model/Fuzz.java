package io.hydragen.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Helpers of the fuzz tests: random JSON values, mutations, and the "loads or fails clearly" check. */
public final class Fuzz {
    private Fuzz() {}

    static final JsonNodeFactory F = JsonNodeFactory.instance;

    /**
     * Runs the action (bounded in time): it may succeed or throw a one-line ModelException/IllegalArgumentException;
     * nothing else. The bound catches a hang or a runaway allocation, not slowness: an action takes milliseconds, but
     * a loaded 2-core machine with a full collection can stall one for seconds, hence 60 s.
     */
    public static void loadsOrFailsClearly(String what, Runnable action) {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try {
                action.run();
            } catch (ModelException | IllegalArgumentException e) {
                String m = e.getMessage();
                assertFalse(m == null || m.isBlank(), what + ": blank message from " + e);
                assertEquals(1, m.lines().count(), what + ": message is not one line: " + m);
            }
        }, what + ": took too long");
    }

    /** A random JSON value: extreme numbers, wrong types, nesting. */
    public static JsonNode value(Random r, int depth) {
        switch (r.nextInt(depth > 2 ? 9 : 11)) {
            case 0: return F.nullNode();
            case 1: return F.booleanNode(r.nextBoolean());
            case 2: return F.numberNode(new int[] {0, -1, 1, 2, 3, 7, 8, 64, 1 << 20, Integer.MAX_VALUE, Integer.MIN_VALUE}[r.nextInt(11)]);
            case 3: return F.numberNode(new long[] {Long.MAX_VALUE, Long.MIN_VALUE, 1L << 32, -(1L << 40), 4294967297L}[r.nextInt(5)]);
            case 4: return F.numberNode(new BigInteger("1" + "0".repeat(1 + r.nextInt(40))));
            case 5: return F.numberNode(new double[] {0.5, -0.0, 1e308, -1e308, 1e-320, 3.0, 1e9}[r.nextInt(7)]);
            case 6: return F.numberNode(new BigDecimal("1e" + (r.nextInt(2000) - 1000)));
            case 7: return F.textNode(new String[] {"", "llama", "bfloat16", "F32", "silu", "\u0000", "x".repeat(300), "[1,2]", "12", "a\nb", "\ud800", "/", "..", "../model.safetensors",
                    "model-00001-of-00002.safetensors", "a/b"}[r.nextInt(16)]);
            case 8: return F.numberNode(r.nextInt(2000) - 1000);
            case 9: {
                ArrayNode a = F.arrayNode();
                for (int i = r.nextInt(4); i > 0; i--) a.add(value(r, depth + 1));
                return a;
            }
            default: {
                ObjectNode o = F.objectNode();
                for (int i = r.nextInt(4); i > 0; i--) o.set(new String[] {"type", "factor", "rope_type", "id", "content", "x"}[r.nextInt(6)], value(r, depth + 1));
                return o;
            }
        }
    }

    /** Every object and array inside {@code root} (root included). */
    static List<JsonNode> containers(JsonNode root) {
        List<JsonNode> out = new ArrayList<>();
        collect(root, out);
        return out;
    }

    private static void collect(JsonNode n, List<JsonNode> out) {
        if (!n.isContainerNode()) return;
        out.add(n);
        for (JsonNode c : n) collect(c, out);
    }

    /** Mutates {@code root} in place: sets, removes or retypes fields of random objects, and array items. */
    public static void mutateJson(Random r, JsonNode root, int edits, List<JsonNode> pool) {
        List<JsonNode> all = pool != null ? pool : containers(root);
        for (int e = 0; e < edits; e++) {
            JsonNode target = all.get(r.nextInt(all.size()));
            if (target instanceof ObjectNode o) {
                List<String> names = new ArrayList<>();
                o.fieldNames().forEachRemaining(names::add);
                if (names.isEmpty() || r.nextInt(6) == 0) { o.set("x" + r.nextInt(3), value(r, 0)); continue; }
                String name = names.get(r.nextInt(names.size()));
                if (r.nextInt(4) == 0) o.remove(name);
                else o.set(name, value(r, 0));
            } else if (target instanceof ArrayNode a) {
                if (a.isEmpty() || r.nextInt(5) == 0) { a.add(value(r, 0)); continue; }
                int i = r.nextInt(a.size());
                if (r.nextInt(3) == 0) a.remove(i);
                else a.set(i, value(r, 0));
            }
        }
    }

    private static final String JSONISH = "{}[]\",:0123456789-e.\\ntfu";

    /** Byte-level damage: truncation, flipped and overwritten bytes, inserted and deleted runs. */
    public static byte[] mutateBytes(Random r, byte[] in, int from, int to) {
        byte[] b = in.clone();
        int kind = r.nextInt(5);
        if (kind == 0) return java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
        int span = Math.max(1, Math.min(b.length, to) - from);
        for (int i = 1 + r.nextInt(6); i > 0; i--) {
            int at = from + r.nextInt(span);
            if (at >= b.length) continue;
            switch (kind) {
                case 1 -> b[at] ^= (byte) (1 << r.nextInt(8));
                case 2 -> b[at] = (byte) r.nextInt(256);
                case 3 -> b[at] = (byte) JSONISH.charAt(r.nextInt(JSONISH.length()));
                default -> {
                    int len = Math.min(1 + r.nextInt(8), b.length - at);
                    byte[] c = new byte[b.length - len];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + len, c, at, b.length - at - len);
                    b = c;
                    span = Math.max(1, Math.min(b.length, to) - from);
                }
            }
        }
        return b;
    }
}
