package io.hydragen.spark.model;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** The executors' model cache, fed from HDFS: private, verified, bounded. */
class ModelCacheTest {
    static MiniDFSCluster dfs;
    static FileSystem fs;
    static Configuration conf;
    @TempDir
    static java.nio.file.Path tmp;

    @BeforeAll
    static void start() throws Exception {
        Configuration c = new Configuration();
        c.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, tmp.resolve("dfs").toString());
        dfs = new MiniDFSCluster.Builder(c).numDataNodes(1).build();
        dfs.waitActive();
        fs = dfs.getFileSystem();
        conf = dfs.getConfiguration(0);
    }

    @AfterAll
    static void stop() {
        if (dfs != null) dfs.shutdown();
    }

    /** A model directory on HDFS: config.json and a weights file of {@code weightBytes} bytes. */
    static String model(String name, int weightBytes) throws IOException {
        Path dir = new Path("/models/" + name);
        write(new Path(dir, "config.json"), ("{\"name\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8));
        byte[] w = new byte[weightBytes];
        for (int i = 0; i < w.length; i++) w[i] = (byte) (i * 31 + name.hashCode());
        write(new Path(dir, "sub/model.safetensors"), w);
        return fs.getUri() + dir.toString();
    }

    static void write(Path p, byte[] bytes) throws IOException {
        try (FSDataOutputStream out = fs.create(p, true)) {
            out.write(bytes);
        }
    }

    static List<String> entries(java.nio.file.Path cache) throws IOException {
        try (Stream<java.nio.file.Path> s = Files.list(cache)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    static byte[] weights(String local) throws IOException {
        return Files.readAllBytes(java.nio.file.Path.of(local, "sub", "model.safetensors"));
    }

    @Test
    void cacheIsPrivateAndAnOpenOrForeignOneIsRefused() throws Exception {
        String m = model("private", 100);
        java.nio.file.Path cache = tmp.resolve("private-cache");
        String local = ModelFetcher.localize(m, conf, cache, Long.MAX_VALUE);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)));
        assertTrue(local.startsWith(cache.toRealPath().toString()), local);
        ModelFetcher.release(local);

        java.nio.file.Path open = Files.createDirectories(tmp.resolve("open-cache"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> ModelFetcher.localize(m, conf, open, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("writable by others"), e.getMessage());
        assertEquals(List.of(), entries(open), "nothing is written into a refused cache");
    }

    @Test
    void tamperedFileIsFetchedAgain() throws Exception {
        String m = model("tamper", 4096);
        java.nio.file.Path cache = tmp.resolve("tamper-cache");
        String local = ModelFetcher.localize(m, conf, cache, Long.MAX_VALUE);
        ModelFetcher.release(local);
        byte[] good = weights(local);
        java.nio.file.Path w = java.nio.file.Path.of(local, "sub", "model.safetensors");

        // same size, other bytes: caught by the checksum on the first use in a JVM
        byte[] bad = good.clone();
        bad[100] ^= 1;
        Files.write(w, bad);
        ModelFetcher.forgetVerified();
        assertEquals(local, ModelFetcher.localize(m, conf, cache, Long.MAX_VALUE));
        assertArrayEquals(good, weights(local), "the tampered file was fetched again");
        ModelFetcher.release(local);

        // another size: caught on every use, even in a JVM that has checksummed the entry
        Files.write(w, Arrays.copyOf(good, good.length - 1));
        assertEquals(local, ModelFetcher.localize(m, conf, cache, Long.MAX_VALUE));
        assertArrayEquals(good, weights(local));
        ModelFetcher.release(local);
    }

    @Test
    void forgedMarkerIsNotTrusted() throws Exception {
        String m = model("forged", 2048);
        java.nio.file.Path cache = tmp.resolve("forged-cache");
        String local = ModelFetcher.localize(m, conf, cache, Long.MAX_VALUE);
        ModelFetcher.release(local);
        byte[] good = weights(local);
        java.nio.file.Path w = java.nio.file.Path.of(local, "sub", "model.safetensors");
        java.nio.file.Path marker = java.nio.file.Path.of(local, ModelFetcher.MARKER);

        // the marker of earlier versions (any file named .complete was trusted) over a truncated copy
        Files.write(w, Arrays.copyOf(good, 10));
        Files.writeString(marker, m + "\n");
        assertEquals(local, ModelFetcher.localize(m, conf, cache, Long.MAX_VALUE));
        assertArrayEquals(good, weights(local));
        ModelFetcher.release(local);

        // a well-formed marker that leaves out a file, over a copy without it
        List<String> lines = Files.readAllLines(marker);
        Files.write(marker, lines.stream().filter(l -> !l.endsWith("config.json")).toList());
        Files.delete(java.nio.file.Path.of(local, "config.json"));
        assertEquals(local, ModelFetcher.localize(m, conf, cache, Long.MAX_VALUE));
        assertTrue(Files.isRegularFile(java.nio.file.Path.of(local, "config.json")));
        ModelFetcher.release(local);

        // a marker whose checksum was forged to another value
        String line = Files.readAllLines(marker).stream().filter(l -> l.endsWith("model.safetensors")).findFirst().orElseThrow();
        String[] f = line.split("\t");
        f[2] = "0".repeat(64);
        Files.writeString(marker, Files.readString(marker).replace(line, String.join("\t", f)));
        ModelFetcher.forgetVerified();
        assertEquals(local, ModelFetcher.localize(m, conf, cache, Long.MAX_VALUE));
        assertTrue(Files.readString(marker).contains(line), "fetched again, with the real checksum");
        ModelFetcher.release(local);
    }

    @Test
    void evictionKeepsTheMostRecentlyUsedWithinTheCapAndNeverOneInUse() throws Exception {
        java.nio.file.Path cache = tmp.resolve("evict-cache");
        int size = 10_000;
        long cap = 2L * size + 1000; // room for two models
        String a = model("a", size), b = model("b", size), c = model("c", size), d = model("d", size);
        String la = ModelFetcher.localize(a, conf, cache, cap);
        ModelFetcher.release(la);
        Thread.sleep(20);
        String lb = ModelFetcher.localize(b, conf, cache, cap);
        ModelFetcher.release(lb);
        Thread.sleep(20);
        // a used again: b is now the least recently used
        assertEquals(la, ModelFetcher.localize(a, conf, cache, cap));
        ModelFetcher.release(la);
        Thread.sleep(20);
        String lc = ModelFetcher.localize(c, conf, cache, cap);
        assertEquals(List.of(java.nio.file.Path.of(la).getFileName().toString(), java.nio.file.Path.of(lc).getFileName().toString()),
                entries(cache), "b, least recently used, is evicted");
        // c stays in use (not released): fetching d evicts a, never c
        Thread.sleep(20);
        String ld = ModelFetcher.localize(d, conf, cache, cap);
        assertEquals(List.of(java.nio.file.Path.of(lc).getFileName().toString(), java.nio.file.Path.of(ld).getFileName().toString()),
                entries(cache));
        // everything in use and over the cap: nothing is evicted, the cache stays over the cap
        String la2 = ModelFetcher.localize(a, conf, cache, cap);
        assertEquals(3, entries(cache).size());
        assertTrue(Files.isRegularFile(java.nio.file.Path.of(la2, "config.json")));
        for (String l : List.of(lc, ld, la2)) ModelFetcher.release(l);
    }
}
