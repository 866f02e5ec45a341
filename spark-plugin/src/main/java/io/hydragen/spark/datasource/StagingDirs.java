package io.hydragen.spark.datasource;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerApplicationEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Private staging directories, one per scan: {@code <root>/<application id>-<random>}, mode 0700 (created with that
 * mode, atomically on a local file system; on HDFS the mode is given to the NameNode's mkdir and then set exactly),
 * files 0600. Nothing is shared between applications, users or scans, and the random name cannot be guessed ahead.
 *
 * <p>The root ({@code staging_dir} / {@code spark.hydragen.stagingDir}; default {@code /tmp/hydragen-staging-$USER}
 * on the default file system) must be one that no other user can rearrange: owned by this user and writable by no
 * one else, or sticky like {@code /tmp}. Anything else is refused, since whoever can rename entries in it could swap a
 * staging directory for one they can read. A missing root is created 0700.
 *
 * <p>A directory is removed, whichever comes first: when its scan is no longer reachable (the query's plan is gone;
 * a plan may run again, e.g. a second {@code collect()} on one DataFrame, so the files live as long as it does), when
 * the application ends (a {@link SparkListener}), or at JVM exit (a shutdown hook, before Hadoop closes its file
 * systems).
 */
final class StagingDirs {
    private static final Logger LOG = LoggerFactory.getLogger(StagingDirs.class);

    static final FsPermission DIR_PERMISSION = new FsPermission((short) 0700);
    static final FsPermission FILE_PERMISSION = new FsPermission((short) 0600);
    static final String DEFAULT_ROOT_PREFIX = "/tmp/hydragen-staging-";

    private static final Cleaner CLEANER = Cleaner.create();
    /** Live staging directories of this JVM, by application id. */
    private static final Map<String, Map<String, Configuration>> LIVE = new ConcurrentHashMap<>();
    private static final Set<SparkContext> LISTENING = Collections.newSetFromMap(new java.util.WeakHashMap<>());
    private static volatile boolean hookInstalled;

    private StagingDirs() {}

    /** A fresh private directory under the root, removed when {@code owner} becomes unreachable or the app ends. */
    static Path create(SparkContext sc, String root, Object owner) {
        Configuration conf = sc.hadoopConfiguration();
        Path rootPath = new Path(root != null ? root : defaultRoot());
        Path dir = null;
        try {
            FileSystem fs = rootPath.getFileSystem(conf);
            rootPath = fs.makeQualified(rootPath);
            checkRoot(fs, rootPath);
            dir = new Path(rootPath, sc.applicationId().replaceAll("[^A-Za-z0-9._-]", "_") + "-" + UUID.randomUUID());
            mkdirPrivate(fs, dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a staging directory under " + rootPath + ": " + e.getMessage(), e);
        }
        String app = sc.applicationId();
        String d = dir.toString();
        register(sc, d, conf);
        CLEANER.register(owner, () -> delete(app, d)); // the action must not hold the owner
        return dir;
    }

    static String defaultRoot() {
        return DEFAULT_ROOT_PREFIX + currentUser();
    }

    /**
     * Removes a staging directory now (idempotent). The directory leaves the live set only after it is gone from the
     * file system, so a directory that still exists is always in {@link #live}: nothing on disk is ever untracked.
     */
    static void delete(String appId, String dir) {
        Map<String, Configuration> dirs = LIVE.get(appId);
        if (dirs == null) return;
        // computeIfPresent runs once per entry, so a cleaner and the application-end listener never both delete
        dirs.computeIfPresent(dir, (d, conf) -> {
            try {
                Path p = new Path(d);
                p.getFileSystem(conf).delete(p, true);
                LOG.debug("removed staging directory {}", d);
            } catch (IOException | RuntimeException e) {
                LOG.warn("could not remove staging directory {}: {}", d, e.toString());
            }
            return null;
        });
    }

    /** The directories this JVM still holds for an application (for tests and diagnostics). */
    static Set<String> live(String appId) {
        Map<String, Configuration> dirs = LIVE.get(appId);
        return dirs == null ? Set.of() : Set.copyOf(dirs.keySet());
    }


    private static void register(SparkContext sc, String dir, Configuration conf) {
        String app = sc.applicationId();
        LIVE.computeIfAbsent(app, k -> new ConcurrentHashMap<>()).put(dir, conf);
        synchronized (LISTENING) {
            if (LISTENING.add(sc)) {
                sc.addSparkListener(new SparkListener() {
                    @Override
                    public void onApplicationEnd(SparkListenerApplicationEnd end) { deleteAll(app); }
                });
            }
            if (!hookInstalled) {
                // before Hadoop's own hook closes the cached file systems
                ShutdownHookManager.get().addShutdownHook(() -> LIVE.keySet().forEach(StagingDirs::deleteAll),
                        FileSystem.SHUTDOWN_HOOK_PRIORITY + 1);
                hookInstalled = true;
            }
        }
    }

    private static void deleteAll(String appId) {
        Map<String, Configuration> dirs = LIVE.get(appId);
        if (dirs == null) return;
        for (String d : List.copyOf(dirs.keySet())) delete(appId, d);
        LIVE.remove(appId, Map.of());
    }

    /** Refuses a root that someone else could rearrange; creates a missing one 0700. */
    static void checkRoot(FileSystem fs, Path root) throws IOException {
        if (!fs.exists(root)) {
            mkdirPrivate(fs, root);
            return;
        }
        FileStatus s = fs.getFileStatus(root);
        if (!s.isDirectory()) throw new IOException(root + " is not a directory");
        FsPermission p = s.getPermission();
        boolean othersWrite = p.getGroupAction().implies(FsAction.WRITE) || p.getOtherAction().implies(FsAction.WRITE);
        boolean mine = ownedByMe(fs, s);
        if (p.getStickyBit()) return; // like /tmp: nobody but an entry's owner (and the root's) may rename it
        if (!mine) {
            throw new IOException("the staging root " + root + " belongs to " + s.getOwner() + ", not to "
                    + currentUser() + ", and is not sticky: use a directory of your own (staging_dir / spark.hydragen.stagingDir)");
        }
        if (othersWrite) {
            throw new IOException("the staging root " + root + " is writable by others (" + p
                    + ") and not sticky: chmod go-w it, or use another (staging_dir / spark.hydragen.stagingDir)");
        }
    }

    /** Creates a directory (and missing parents) with mode 0700, failing when it exists already. */
    private static void mkdirPrivate(FileSystem fs, Path dir) throws IOException {
        if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
            java.nio.file.Path local = java.nio.file.Path.of(fs.makeQualified(dir).toUri());
            if (local.getParent() != null) Files.createDirectories(local.getParent());
            // the mode is part of mkdir(2): there is no moment at which the directory is open to others
            Files.createDirectory(local, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            if (fs.exists(dir)) throw new IOException(dir + " exists already");
            // the NameNode creates it with this mode less the umask, i.e. never more open than 0700
            if (!fs.mkdirs(dir, DIR_PERMISSION)) throw new IOException("mkdirs returned false for " + dir);
        }
        fs.setPermission(dir, DIR_PERMISSION);
        FileStatus s = fs.getFileStatus(dir);
        if (!ownedByMe(fs, s)) throw new IOException(dir + " belongs to " + s.getOwner() + ", not to " + currentUser());
    }

    /** Local files belong to the OS user; elsewhere ownership is Hadoop's user (which HADOOP_USER_NAME may change). */
    private static boolean ownedByMe(FileSystem fs, FileStatus s) {
        boolean local = fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem;
        return (local ? System.getProperty("user.name") : currentUser()).equals(s.getOwner());
    }

    static String currentUser() {
        try {
            return UserGroupInformation.getCurrentUser().getShortUserName();
        } catch (IOException e) {
            return System.getProperty("user.name");
        }
    }
}
