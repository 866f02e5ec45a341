package io.hydragen.spark.model;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where a model comes from: {@code synthetic:NAME} (built in code, no files), a local directory, or a directory on
 * a Hadoop-compatible file system ({@code hdfs://}, {@code s3a://}, {@code file://}, ...).
 */
public record ModelSpec(String raw) {

    public static final String SYNTHETIC_PREFIX = "synthetic:";

    public ModelSpec {
        if (raw == null || raw.isBlank()) throw new IllegalArgumentException("model is empty");
        raw = raw.trim();
    }

    public boolean synthetic() { return raw.startsWith(SYNTHETIC_PREFIX); }

    /** A path that only the local file system can serve (no scheme, or {@code file:}), usable as is. */
    public boolean local() {
        if (synthetic()) return false;
        String scheme = scheme();
        return scheme == null || scheme.equals("file");
    }

    /** The URI scheme, or null for a plain local path. */
    public String scheme() {
        if (synthetic()) return null;
        try {
            String s = new URI(raw).getScheme();
            // a Windows drive letter is not a scheme
            return s == null || s.length() == 1 ? null : s.toLowerCase(java.util.Locale.ROOT);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** The local directory for a {@link #local()} spec. */
    public String localPath() {
        return "file".equals(scheme()) ? URI.create(raw).getPath() : raw;
    }

    @Override
    public String toString() { return raw; }
}
