package io.hydragen.backend.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the kernel entry points and the target out of PTX text (for checks and error messages). */
public final class PtxEntries {
    private PtxEntries() {}

    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_$][\\w$]*)\\s*\\(");
    private static final Pattern TARGET = Pattern.compile("^\\s*\\.target\\s+([\\w,]+)", Pattern.MULTILINE);
    private static final Pattern VERSION = Pattern.compile("^\\s*\\.version\\s+([\\d.]+)", Pattern.MULTILINE);

    /** The names of the {@code .entry} functions, in file order. */
    public static List<String> entries(String ptx) {
        List<String> out = new ArrayList<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    /**
     * The parameter types of entry {@code name} in declaration order ("u64", "u32", "f32", ...), or null when the
     * PTX has no such entry. Pointers and 64-bit integers are both "u64" in PTX.
     */
    public static List<String> params(String ptx, String name) {
        Matcher m = Pattern.compile("\\.entry\\s+" + Pattern.quote(name) + "\\s*\\(([^)]*)\\)").matcher(ptx);
        if (!m.find()) return null;
        List<String> out = new ArrayList<>();
        Matcher p = PARAM.matcher(m.group(1));
        while (p.find()) out.add(p.group(1));
        return out;
    }

    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)");

    /** The {@code .target} directive's value (e.g. "sm_90"), or null. */
    public static String target(String ptx) {
        Matcher m = TARGET.matcher(ptx);
        return m.find() ? m.group(1) : null;
    }

    /** The PTX ISA version (e.g. "9.0"), or null. */
    public static String version(String ptx) {
        Matcher m = VERSION.matcher(ptx);
        return m.find() ? m.group(1) : null;
    }
}
