package io.hydragen.spark.model;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Brings a model directory from a Hadoop-compatible file system into a local cache, once per machine and version:
 * the engine memory-maps its weights, which needs a local file. The cache entry is named by a hash of the path and
 * the listing (names, sizes, modification times), so an updated model is fetched again and an unchanged one never is.
 * Entries appear atomically (copy into a temporary directory, then rename), so concurrent executors on one host
 * never see a half-copied model.
 */
public final class ModelFetcher {
    private ModelFetcher() {}

    /** @return a local directory (or {@code synthetic:NAME}) the engine can load */
    public static String localize(String model, Configuration hadoopConf, java.nio.file.Path cacheRoot) {
        ModelSpec spec = new ModelSpec(model);
        if (spec.synthetic()) return spec.raw();
        if (spec.local()) return spec.localPath();
        Path dir = new Path(spec.raw());
        try {
            FileSystem fs = dir.getFileSystem(hadoopConf);
            List<LocatedFileStatus> files = listFiles(fs, dir);
            if (files.isEmpty()) throw new ModelNotFoundException("model not found: " + model + " is empty or missing");
            java.nio.file.Path target = cacheRoot.resolve(cacheKey(fs.makeQualified(dir).toString(), files));
            if (Files.isRegularFile(target.resolve(".complete"))) return target.toString();
            Files.createDirectories(cacheRoot);
            java.nio.file.Path tmp = Files.createTempDirectory(cacheRoot, ".fetch-");
            try {
                String base = fs.makeQualified(dir).toUri().getPath();
                for (LocatedFileStatus f : files) {
                    String rel = f.getPath().toUri().getPath().substring(base.length()).replaceFirst("^/", "");
                    java.nio.file.Path out = tmp.resolve(rel);
                    Files.createDirectories(out.getParent());
                    try (InputStream in = fs.open(f.getPath())) {
                        Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                Files.writeString(tmp.resolve(".complete"), model + "\n", StandardCharsets.UTF_8);
                try {
                    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                    // another process on this host finished the same fetch first: use its copy
                    if (!Files.isRegularFile(target.resolve(".complete"))) throw e;
                }
            } finally {
                deleteRecursively(tmp);
            }
            return target.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch model " + model + ": " + e.getMessage(), e);
        }
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

    private static String cacheKey(String qualifiedDir, List<LocatedFileStatus> files) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(qualifiedDir.getBytes(StandardCharsets.UTF_8));
            for (LocatedFileStatus f : files) {
                md.update(("\n" + f.getPath().getName() + "\t" + f.getLen() + "\t" + f.getModificationTime())
                        .getBytes(StandardCharsets.UTF_8));
            }
            String name = new Path(qualifiedDir).getName().replaceAll("[^A-Za-z0-9._-]", "_");
            return name + "-" + HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteRecursively(java.nio.file.Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<java.nio.file.Path> walk = Files.walk(p)) {
            for (java.nio.file.Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
