package io.hydragen.spark.model;

import io.hydragen.spark.plugin.HydragenConf;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Brings a model directory from a Hadoop-compatible file system into a local cache, once per machine and version:
 * the engine memory-maps its weights, which needs a local file. The cache entry is named by a hash of the path and
 * the listing (names, sizes, modification times), so an updated model is fetched again and an unchanged one never is.
 *
 * <ul>
 *   <li>Private: the cache directory ({@code spark.hydragen.modelCacheDir}; default {@link #defaultCacheRoot()}) is created 0700,
 *       and one that belongs to another user or that others may write to is refused, since whoever can write there
 *       can change the weights this executor runs.</li>
 *   <li>Atomic: a model is copied into a temporary directory, then renamed into place, so concurrent executors on one
 *       host never see a half-copied model.</li>
 *   <li>Verified: the {@code .complete} marker records the size and SHA-256 of every file, computed while copying.
 *       Each use checks that the marker lists exactly the source's files and sizes and that the local files have
 *       those sizes; the first use in a JVM also checks every file's SHA-256. An entry that fails (a truncated or
 *       tampered file, a marker written by hand or by an older version) is set aside and fetched again.</li>
 *   <li>Bounded: after a fetch, entries are evicted least recently used first until the cache fits
 *       {@code spark.hydragen.modelCacheMaxBytes} (default {@code 50g}); an entry in use in this JVM
 *       ({@link #localize} not yet {@link #release}d) is never evicted, and neither is the one just fetched.
 *       Another executor JVM on the host may evict a model this one loaded: files already opened stay readable.</li>
 * </ul>
 */
public final class ModelFetcher {
    private static final Logger LOG = LoggerFactory.getLogger(ModelFetcher.class);

    /** The keys, as declared (with their defaults) in the registry, for messages. */
    private static final String CACHE_DIR_CONF = HydragenConf.MODEL_CACHE_DIR.key();
    private static final String MAX_BYTES_CONF = HydragenConf.MODEL_CACHE_MAX_BYTES.key();

    static final String MARKER = ".complete";
    static final String LAST_USED = ".last-used";
    private static final String MARKER_HEADER = "hydragen-model-cache 1";
    private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");
    private static final Duration STALE_FETCH = Duration.ofDays(1);

    /** Entries whose checksums this JVM has verified (or computed while fetching). */
    private static final Set<String> VERIFIED = ConcurrentHashMap.newKeySet();
    /** Entries in use in this JVM: how many {@link #localize} calls have not been released. */
    private static final Map<String, Integer> IN_USE = new ConcurrentHashMap<>();
    /** One check-or-fetch at a time per entry in this JVM. */
    private static final Map<String, Object> LOCKS = new ConcurrentHashMap<>();

    private ModelFetcher() {}

    /**
     * The cache directory for a Spark configuration: {@code spark.hydragen.modelCacheDir} when set, else
     * {@link #defaultCacheRoot()}.
     */
    public static java.nio.file.Path cacheRoot(SparkConf conf) {
        String dir = HydragenConf.MODEL_CACHE_DIR.get(conf);
        return dir != null ? java.nio.file.Path.of(dir) : defaultCacheRoot();
    }

    /**
     * {@code $XDG_CACHE_HOME/hydragen/models}, else {@code ~/.cache/hydragen/models} when the home directory is
     * writable, else {@code ${java.io.tmpdir}/hydragen-models-$USER} (checked like any other: refused if someone else
     * made it first).
     */
    public static java.nio.file.Path defaultCacheRoot() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank() && java.nio.file.Path.of(xdg).isAbsolute()) {
            return java.nio.file.Path.of(xdg, "hydragen", "models");
        }
        String home = System.getProperty("user.home");
        if (home != null && !home.isBlank() && !home.equals("?") && Files.isDirectory(java.nio.file.Path.of(home))
                && Files.isWritable(java.nio.file.Path.of(home))) {
            return java.nio.file.Path.of(home, ".cache", "hydragen", "models");
        }
        return java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "hydragen-models-" + System.getProperty("user.name"));
    }

    /**
     * Localizes with the cache limit of this executor's Spark conf ({@code spark.hydragen.modelCacheMaxBytes}).
     *
     * @return a local directory (or {@code synthetic:NAME}) the engine can load; in use until {@link #release}d
     */
    public static String localize(String model, Configuration hadoopConf, java.nio.file.Path cacheRoot) {
        SparkEnv env = SparkEnv.get();
        long max = HydragenConf.MODEL_CACHE_MAX_BYTES.get(env == null ? null : env.conf());
        return localize(model, hadoopConf, cacheRoot, max);
    }

    /** @param maxCacheBytes the most the cache keeps; entries in use are kept whatever it says */
    public static String localize(String model, Configuration hadoopConf, java.nio.file.Path cacheRoot, long maxCacheBytes) {
        ModelSpec spec = new ModelSpec(model);
        if (spec.synthetic()) return spec.raw();
        if (spec.local()) return spec.localPath();
        Path dir = new Path(spec.raw());
        try {
            FileSystem fs = dir.getFileSystem(hadoopConf);
            List<LocatedFileStatus> files = listFiles(fs, dir);
            if (files.isEmpty()) throw new ModelNotFoundException("model not found: " + model + " is empty or missing");
            String qualified = fs.makeQualified(dir).toString();
            Map<String, Long> expected = relativeSizes(fs, dir, files);
            java.nio.file.Path root = ensurePrivateDir(cacheRoot);
            java.nio.file.Path target = root.resolve(cacheKey(qualified, files));
            String key = target.toString();
            // in use from here on: an eviction by this JVM (another fetch) must not take it
            IN_USE.merge(key, 1, Integer::sum);
            try {
                synchronized (LOCKS.computeIfAbsent(key, k -> new Object())) {
                    if (!valid(target, expected)) {
                        setAside(root, target);
                        fetch(model, fs, dir, files, expected, root, target);
                        evict(root, maxCacheBytes, key);
                    }
                    touch(target);
                }
            } catch (IOException | RuntimeException | Error e) {
                release(key);
                throw e;
            }
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch model " + model + ": " + e.getMessage(), e);
        }
    }

    /** Forgets which entries this JVM has checksummed, as a fresh JVM would (tests). */
    static void forgetVerified() { VERIFIED.clear(); }

    /** Ends one use of a directory {@link #localize} returned; once unused, this JVM may evict it. */
    public static void release(String localDir) {
        IN_USE.computeIfPresent(localDir, (k, n) -> n <= 1 ? null : n - 1);
    }

    private static void fetch(String model, FileSystem fs, Path dir, List<LocatedFileStatus> files, Map<String, Long> expected,
                              java.nio.file.Path root, java.nio.file.Path target) throws IOException {
        java.nio.file.Path tmp = Files.createTempDirectory(root, ".fetch-"); // 0700 on POSIX
        try {
            StringBuilder marker = new StringBuilder(MARKER_HEADER).append('\n').append("source\t").append(model).append('\n');
            String base = fs.makeQualified(dir).toUri().getPath();
            for (LocatedFileStatus f : files) {
                String rel = relative(base, f);
                java.nio.file.Path out = tmp.resolve(rel).normalize();
                if (!out.startsWith(tmp)) throw new IOException("model file " + f.getPath() + " escapes its directory");
                Files.createDirectories(out.getParent());
                MessageDigest md = sha256();
                long n;
                try (InputStream in = new DigestInputStream(fs.open(f.getPath()), md)) {
                    n = Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                }
                if (n != f.getLen()) throw new IOException("copied " + n + " bytes of " + f.getPath() + ", expected " + f.getLen());
                marker.append("file\t").append(n).append('\t').append(HexFormat.of().formatHex(md.digest()))
                        .append('\t').append(rel).append('\n');
            }
            Files.writeString(tmp.resolve(MARKER), marker.toString(), StandardCharsets.UTF_8);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                VERIFIED.add(target.toString());
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                // another process on this host finished the same fetch first: use its copy if it holds up
                if (!valid(target, expected)) throw e;
            }
        } finally {
            deleteRecursively(tmp);
        }
        LOG.info("fetched model {} into {}", model, target);
    }

    /** Whether a cache entry may be used: its marker lists the source's files and sizes, and the files match it. */
    static boolean valid(java.nio.file.Path target, Map<String, Long> expected) {
        java.nio.file.Path marker = target.resolve(MARKER);
        if (!Files.isRegularFile(marker, LinkOption.NOFOLLOW_LINKS)) return false;
        String why = check(target, marker, expected);
        if (why != null) LOG.warn("cached model {} is not used: {}; fetching it again", target, why);
        return why == null;
    }

    /** @return why the entry fails, or null */
    private static String check(java.nio.file.Path target, java.nio.file.Path marker, Map<String, Long> expected) {
        try {
            List<String> lines = Files.readAllLines(marker, StandardCharsets.UTF_8);
            if (lines.isEmpty() || !lines.get(0).equals(MARKER_HEADER)) return "its marker is not one this version writes";
            Map<String, String[]> recorded = new LinkedHashMap<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split("\t", 4);
                if (f[0].equals("file")) {
                    if (f.length != 4 || !f[2].matches("[0-9a-f]{64}")) return "its marker is malformed";
                    recorded.put(f[3], f);
                }
            }
            if (!recorded.keySet().equals(expected.keySet())) return "its marker does not list the model's files";
            boolean checksums = !VERIFIED.contains(target.toString());
            for (Map.Entry<String, String[]> e : recorded.entrySet()) {
                long size = Long.parseLong(e.getValue()[1]);
                if (size != expected.get(e.getKey())) return e.getKey() + " has changed size at the source";
                java.nio.file.Path file = target.resolve(e.getKey()).normalize();
                if (!file.startsWith(target) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    return e.getKey() + " is missing";
                }
                if (Files.size(file) != size) return e.getKey() + " has " + Files.size(file) + " bytes, not " + size;
            }
            if (checksums) {
                for (Map.Entry<String, String[]> e : recorded.entrySet()) {
                    if (!sha256(target.resolve(e.getKey())).equals(e.getValue()[2])) return e.getKey() + " fails its SHA-256";
                }
                VERIFIED.add(target.toString());
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "it cannot be read (" + e + ")";
        }
    }

    /** Moves a failed or partial entry out of the way (atomically), then deletes it. */
    private static void setAside(java.nio.file.Path root, java.nio.file.Path target) throws IOException {
        VERIFIED.remove(target.toString());
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) return;
        java.nio.file.Path trash = root.resolve(".trash-" + UUID.randomUUID());
        try {
            Files.move(target, trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            return; // someone else set it aside first
        }
        deleteRecursively(trash);
    }

    /** Evicts least recently used entries until the cache fits; keeps entries in use in this JVM. */
    static void evict(java.nio.file.Path root, long maxBytes, String keep) throws IOException {
        record Entry(java.nio.file.Path dir, long bytes, FileTime used) {}
        List<Entry> entries = new ArrayList<>();
        long total = 0;
        try (Stream<java.nio.file.Path> list = Files.list(root)) {
            for (java.nio.file.Path p : list.toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(".")) {
                    // a fetch or a deletion that died with its process
                    if ((name.startsWith(".fetch-") || name.startsWith(".trash-")) && olderThan(p, STALE_FETCH)) deleteRecursively(p);
                    continue;
                }
                if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) continue;
                long bytes = sizeOf(p);
                total += bytes;
                java.nio.file.Path used = p.resolve(LAST_USED);
                FileTime t = Files.exists(used) ? Files.getLastModifiedTime(used) : Files.getLastModifiedTime(p);
                entries.add(new Entry(p, bytes, t));
            }
        }
        if (total <= maxBytes) return;
        entries.sort(Comparator.comparing(Entry::used));
        for (Entry e : entries) {
            if (total <= maxBytes) break;
            String key = e.dir().toString();
            if (key.equals(keep) || IN_USE.containsKey(key)) continue;
            LOG.info("evicting cached model {} ({} bytes, last used {}): the cache holds {} bytes, more than {} ({})",
                    e.dir(), e.bytes(), e.used(), total, maxBytes, MAX_BYTES_CONF);
            setAside(root, e.dir());
            total -= e.bytes();
        }
        if (total > maxBytes) {
            LOG.warn("the model cache {} holds {} bytes, more than {} ({}), all of it in use", root, total, maxBytes, MAX_BYTES_CONF);
        }
    }

    private static void touch(java.nio.file.Path target) throws IOException {
        java.nio.file.Path used = target.resolve(LAST_USED);
        try {
            if (!Files.exists(used)) Files.createFile(used);
        } catch (FileAlreadyExistsException ignored) {
            // another process touched it first
        }
        Files.setLastModifiedTime(used, FileTime.from(Instant.now()));
    }

    /**
     * The cache root as a private directory: created 0700 when missing; refused when it belongs to another user or
     * others may write to it.
     *
     * @return its real path
     */
    static java.nio.file.Path ensurePrivateDir(java.nio.file.Path root) throws IOException {
        if (!Files.exists(root)) {
            if (root.getParent() != null) Files.createDirectories(root.getParent());
            try {
                Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
            } catch (FileAlreadyExistsException ignored) {
                // another executor made it just now: checked below like any other
            } catch (UnsupportedOperationException e) {
                Files.createDirectories(root); // not a POSIX file system
            }
        }
        java.nio.file.Path real = root.toRealPath();
        if (!Files.isDirectory(real)) throw new IOException("model cache " + root + " is not a directory");
        String owner = Files.getOwner(real).getName();
        String me = System.getProperty("user.name");
        if (!owner.equals(me)) {
            throw new IOException("model cache " + root + " belongs to " + owner + ", not to " + me
                    + ": set " + CACHE_DIR_CONF + " to a directory of your own");
        }
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(real);
            if (p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)) {
                throw new IOException("model cache " + root + " is writable by others ("
                        + PosixFilePermissions.toString(p) + "): chmod go-w it, or set " + CACHE_DIR_CONF);
            }
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system: ownership is all there is to check
        }
        return real;
    }

    private static List<LocatedFileStatus> listFiles(FileSystem fs, Path dir) throws IOException {
        List<LocatedFileStatus> files = new ArrayList<>();
        FileStatus status;
        try {
            status = fs.getFileStatus(dir);
        } catch (java.io.FileNotFoundException e) {
            throw new ModelNotFoundException("model not found: " + dir + " does not exist");
        }
        if (!status.isDirectory()) throw new ModelNotFoundException("model not found: " + dir + " is not a directory");
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
        while (it.hasNext()) files.add(it.next());
        files.sort(Comparator.comparing(f -> f.getPath().toString()));
        return files;
    }

    private static Map<String, Long> relativeSizes(FileSystem fs, Path dir, List<LocatedFileStatus> files) {
        String base = fs.makeQualified(dir).toUri().getPath();
        Map<String, Long> m = new LinkedHashMap<>();
        for (LocatedFileStatus f : files) m.put(relative(base, f), f.getLen());
        return m;
    }

    private static String relative(String base, LocatedFileStatus f) {
        return f.getPath().toUri().getPath().substring(base.length()).replaceFirst("^/", "");
    }

    private static String cacheKey(String qualifiedDir, List<LocatedFileStatus> files) {
        MessageDigest md = sha256();
        md.update(qualifiedDir.getBytes(StandardCharsets.UTF_8));
        for (LocatedFileStatus f : files) {
            md.update(("\n" + f.getPath().getName() + "\t" + f.getLen() + "\t" + f.getModificationTime())
                    .getBytes(StandardCharsets.UTF_8));
        }
        String name = new Path(qualifiedDir).getName().replaceAll("[^A-Za-z0-9._-]", "_");
        return name + "-" + HexFormat.of().formatHex(md.digest(), 0, 8);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(java.nio.file.Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static long sizeOf(java.nio.file.Path dir) throws IOException {
        try (Stream<java.nio.file.Path> walk = Files.walk(dir)) {
            long n = 0;
            for (java.nio.file.Path p : walk.toList()) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) n += Files.size(p);
            }
            return n;
        } catch (UncheckedIOException e) {
            return 0; // deleted while we looked
        }
    }

    private static boolean olderThan(java.nio.file.Path p, Duration age) {
        try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(Instant.now().minus(age));
        } catch (IOException e) {
            return false;
        }
    }


    private static void deleteRecursively(java.nio.file.Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<java.nio.file.Path> walk = Files.walk(p)) {
            for (java.nio.file.Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
