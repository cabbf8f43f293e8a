package dev.agnomemory.core.storage.mapdb;

import static dev.agnomemory.core.storage.mapdb.StoreFixtures.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The windows around opening and closing: close settles writes in flight and waits for readers, a failed open
 * releases what it took, interrupted callers neither break the store nor get ": null" errors, and a full disk is
 * reported as such.
 */
class LifecycleTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("memory.db");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void closeSettlesTheWritesInFlightAndEveryAcknowledgedOneIsKept() throws Exception {
        int threads = 6;
        List<SessionKey> keys = new ArrayList<>();
        ConcurrentLinkedQueue<String> acked = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        AtomicInteger written = new AtomicInteger();
        MapDbStorage s = MapDbStorage.builder().file(file()).checkpointEvery(50).build();
        for (int t = 0; t < threads; t++) {
            keys.add(SessionKey.of("user-" + t, "s"));
            s.getOrCreateSession(keys.get(t), null);
        }
        List<Thread> writers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            SessionKey key = keys.get(t);
            Thread w = new Thread(() -> {
                for (int i = 0; ; i++) {
                    try {
                        s.appendMessage(key, "r" + i, Message.user(key.userId() + " " + i));
                        s.completeRun(key, "r" + i);
                        acked.add(key.userId() + " r" + i);
                        written.incrementAndGet();
                    } catch (IllegalStateException e) {
                        if (!e.getMessage().contains("closed")) {
                            unexpected.add(e);
                        }
                        return;
                    } catch (RuntimeException e) {
                        unexpected.add(e);
                        return;
                    }
                }
            });
            writers.add(w);
            w.start();
        }
        while (written.get() < 100) {
            Thread.onSpinWait();
        }
        s.close();
        for (Thread w : writers) {
            w.join();
        }
        assertThat(unexpected).as("failures other than 'closed'").isEmpty();
        try (MapDbStorage again = MapDbStorage.open(file())) {
            for (String a : acked) {
                String[] parts = a.split(" ");
                SessionKey key = SessionKey.of(parts[0], "s");
                List<String> ids = again.runs(key).map(Run::runId).toList();
                assertThat(ids).as("runs of %s", key).contains(parts[1]);
            }
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void closeWaitsForReadersInProgressAndLaterCallsFailClearly() throws Exception {
        MapDbStorage s = MapDbStorage.open(file());
        s.getOrCreateSession(KEY, null);
        for (int i = 0; i < 20; i++) {
            StoreFixtures.writeRun(s, KEY, i);
        }
        s.checkpoint();
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        AtomicInteger reads = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(4);
        List<Thread> readers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread r = new Thread(() -> {
                started.countDown();
                while (true) {
                    try {
                        assertThat(s.runs(KEY).toList()).hasSize(20);
                        assertThat(s.lastRuns(KEY, 3)).hasSize(3);
                        reads.incrementAndGet();
                    } catch (IllegalStateException e) {
                        if (!e.getMessage().contains("closed")) {
                            unexpected.add(e);
                        }
                        return;
                    } catch (Throwable e) {
                        unexpected.add(e);
                        return;
                    }
                }
            });
            readers.add(r);
            r.start();
        }
        started.await();
        while (reads.get() < 20) {
            Thread.onSpinWait();
        }
        s.close();
        for (Thread r : readers) {
            r.join();
        }
        assertThat(unexpected).isEmpty();
        assertThatThrownBy(() -> s.session(KEY)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void aFailedOpenReleasesTheLockAndTheFiles() throws IOException {
        StoreFixtures.writeRuns(file(), 4);
        Path segment = StoreFixtures.lastSegment(file());
        Path good = dir.resolve("good-segment");
        Files.copy(segment, good);
        byte[] bytes = Files.readAllBytes(segment);
        for (int i = SegmentHeader.SIZE; i < bytes.length; i += 3) {
            bytes[i] ^= 0x33;
        }
        Files.write(segment, bytes);
        assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StoreFormatException.class);
        assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StoreFormatException.class);
        Files.copy(good, segment, StandardCopyOption.REPLACE_EXISTING);
        try (MapDbStorage s = MapDbStorage.open(file())) {
            StoreFixtures.assertRuns(s, 4);
        }
    }

    /**
     * Every operation of the store on a thread whose interrupt flag is set: file work runs on the store's own threads
     * and waits are not interruptible, so nothing fails and nothing is half done; the flag stays set.
     */
    @Test
    void aCallerWithItsInterruptFlagSetBreaksNothing() throws Exception {
        String secret = "INTERRUPTED-SECRET-" + "z".repeat(10);
        Thread.currentThread().interrupt();
        try {
            try (MapDbStorage s = MapDbStorage.builder().file(file()).purgeDelay(java.time.Duration.ofHours(1))
                    .build()) {
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
                s.getOrCreateSession(KEY, null);
                SessionKey gone = SessionKey.of("bob", "gone");
                s.getOrCreateSession(gone, null);
                s.appendMessage(gone, "g", Message.user(secret));
                for (int i = 0; i < 5; i++) {
                    StoreFixtures.writeRun(s, KEY, i);
                }
                s.saveMemory(UserMemory.create("alice", "Alice reads a lot", null, null));
                s.checkpoint();
                s.deleteSession(gone);
                s.compact();
                assertThat(StoreFixtures.filesContain(dir, secret)).isFalse();
                s.appendMessage(gone.equals(KEY) ? KEY : KEY, "r5", Message.user("question 5"));
                s.deleteMemories("alice");
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } // close with a purge pending
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
            Files.delete(file());
            try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file())) {
                assertThat(log.text()).contains("rebuilt the index").doesNotContain(": null");
                assertThat(s.runs(KEY).toList()).hasSize(6);
                assertThat(s.memories("alice")).isEmpty();
            }
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    /**
     * On a real full disk (a small tmpfs; needs the right to mount, so skipped elsewhere): the write fails with a
     * {@link StorageException} naming the file and saying the disk is full, the store stops accepting writes, and
     * what was acknowledged before is all there after reopening elsewhere.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aFullDiskIsReportedAsSuchNamingTheFile() throws Exception {
        Path mount = Files.createDirectories(dir.resolve("small"));
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount.toString()),
                "cannot mount a small tmpfs here (needs root); skipped");
        try {
            Path file = mount.resolve("memory.db");
            List<String> acked = Collections.synchronizedList(new ArrayList<>());
            StorageException failure = null;
            try (MapDbStorage s = MapDbStorage.open(file)) {
                s.getOrCreateSession(KEY, null);
                String text = "x".repeat(8 * 1024);
                for (int i = 0; i < 10_000; i++) {
                    try {
                        s.appendMessage(KEY, "r" + i, Message.user(i + " " + text));
                        acked.add("r" + i);
                    } catch (StorageException e) {
                        failure = e;
                        break;
                    }
                }
                assertThat(failure).as("a write failed").isNotNull();
                assertThat(failure.getMessage()).contains(mount.toString()).contains("the disk is full")
                        .doesNotContain(": null");
                StorageException first = failure;
                assertThatThrownBy(() -> s.appendMessage(KEY, "x", Message.user("more")))
                        .isInstanceOf(StorageException.class).hasMessageContaining("failed earlier");
                assertThat(first).isNotNull();
            } catch (StorageException e) {
                // closing a store on a full disk may fail to checkpoint: logged, not thrown
                throw e;
            }
            Path copy = Files.createDirectories(dir.resolve("copy"));
            try (var list = Files.list(mount)) {
                for (Path p : list.toList()) {
                    Files.copy(p, copy.resolve(p.getFileName()));
                }
            }
            try (MapDbStorage s = MapDbStorage.open(copy.resolve("memory.db"))) {
                assertThat(s.runs(KEY).map(Run::runId).toList()).containsAll(acked);
            }
        } finally {
            run("umount", mount.toString());
        }
    }

    @Test
    void aCompactionOnAFullDiskFailsNamingTheFileAndTheStoreGoesOn() throws Exception {
        onSmallDisk("4m", mount -> {
            Path file = mount.resolve("memory.db");
            SessionKey doomed = SessionKey.of("bob", "gone");
            String text = "y".repeat(4 * 1024);
            try (MapDbStorage s = MapDbStorage.builder().file(file).purgeDelay(java.time.Duration.ofDays(1)).build()) {
                s.getOrCreateSession(KEY, null);
                s.getOrCreateSession(doomed, null);
                for (int i = 0; i < 200; i++) {
                    s.appendMessage(KEY, "r" + i, Message.user(i + " " + text));
                }
                s.appendMessage(doomed, "r0", Message.user("delete me"));
                s.checkpoint();
                Path filler = fill(mount, 256 * 1024);
                assertThat(s.deleteSession(doomed)).isTrue();
                assertThatThrownBy(s::compact).isInstanceOf(StorageException.class)
                        .hasMessageContaining(mount.toString()).hasMessageContaining("the disk is full")
                        .hasMessageNotContaining(": null");
                try (var list = Files.list(mount)) {
                    assertThat(list.map(p -> p.getFileName().toString()))
                            .as("nothing of the failed compaction is left")
                            .noneMatch(n -> n.endsWith(".tmp") || n.contains("compact") || n.contains("rebuild"));
                }
                s.appendMessage(KEY, "after", Message.user("the store goes on after the failed compaction"));
                Files.delete(filler);
                s.compact();
                assertThat(s.session(doomed)).isEmpty();
            }
            try (MapDbStorage s = MapDbStorage.open(file)) {
                assertThat(s.runs(KEY).map(Run::runId).toList()).hasSize(201).contains("r0", "r199", "after");
                assertThat(s.session(doomed)).isEmpty();
            }
        });
    }

    @Test
    void anOpenThatMustRebuildTheIndexOnAFullDiskIsRefusedNamingTheFileAndChangesNothing() throws Exception {
        onSmallDisk("4m", mount -> {
            Path file = mount.resolve("memory.db");
            String text = "z".repeat(4 * 1024);
            try (MapDbStorage s = MapDbStorage.open(file)) {
                s.getOrCreateSession(KEY, null);
                for (int i = 0; i < 100; i++) {
                    s.appendMessage(KEY, "r" + i, Message.user(i + " " + text));
                }
            }
            Files.delete(file);
            Files.deleteIfExists(file.resolveSibling("memory.db.sums"));
            Path filler = fill(mount, 0);
            java.util.Map<Path, byte[]> before = contents(mount, filler);
            assertThatThrownBy(() -> MapDbStorage.open(file)).isInstanceOf(StorageException.class)
                    .hasMessageContaining(mount.toString()).hasMessageContaining("the disk is full")
                    .hasMessageNotContaining(": null");
            java.util.Map<Path, byte[]> after = contents(mount, filler);
            assertThat(after.keySet()).as("no file left behind or removed").isEqualTo(before.keySet());
            for (Path p : before.keySet()) {
                assertThat(after.get(p)).as("%s unchanged", p).isEqualTo(before.get(p));
            }
            Files.delete(filler);
            try (MapDbStorage s = MapDbStorage.open(file)) {
                assertThat(s.runs(KEY).count()).isEqualTo(100);
            }
        });
    }

    /** What runs on a small disk. */
    private interface OnDisk {
        void run(Path mount) throws Exception;
    }

    /**
     * Runs {@code body} on a tmpfs of {@code size} under the test's directory, unmounted afterwards; skips the test
     * where mounting is not allowed.
     */
    private void onSmallDisk(String size, OnDisk body) throws Exception {
        Path mount = Files.createDirectories(dir.resolve("small"));
        Assumptions.assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mount.toString()),
                "cannot mount a small tmpfs here (needs root); skipped");
        try {
            body.run(mount);
        } finally {
            run("umount", mount.toString());
        }
    }

    /** Fills the disk of {@code dir} with one file, then frees {@code leave} bytes of it; returns the file. */
    private static Path fill(Path dir, long leave) throws IOException {
        Path filler = dir.resolve("filler");
        byte[] chunk = new byte[64 * 1024];
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(filler.toFile(), "rw")) {
            try {
                while (true) {
                    f.write(chunk);
                }
            } catch (IOException full) {
                // the disk is full
            }
            f.setLength(Math.max(0, f.length() - leave));
        }
        return filler;
    }

    /** The bytes of every file in {@code dir} but {@code except} and lock files. */
    private static java.util.Map<Path, byte[]> contents(Path dir, Path except) throws IOException {
        java.util.Map<Path, byte[]> m = new java.util.TreeMap<>();
        try (var list = Files.list(dir)) {
            for (Path p : list.toList()) {
                if (!p.equals(except) && !p.getFileName().toString().endsWith(".lock")) {
                    m.put(p, Files.readAllBytes(p));
                }
            }
        }
        return m;
    }

    private static boolean run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
