package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single-byte flips anywhere in the index file: every read gives exactly what was written, or the store notices
 * (a value's checksum, or MapDB failing), rebuilds the index from the journal with a log line, and then does. A read
 * never returns wrong bytes and never throws MapDB's own exceptions.
 */
class IndexChecksumTest {

    private static final int FLIPS = 112;
    private static final List<SessionKey> KEYS = List.of(SessionKey.of("alice", "s1"), SessionKey.of("alice", "s2"),
            SessionKey.of("bob", "s1"));

    @TempDir
    Path dir;

    @Test
    void aFlippedIndexByteIsNeverReadAsData() throws IOException {
        Path original = dir.resolve("original").resolve("memory.db");
        Files.createDirectories(original.getParent());
        try (MapDbStorage s = MapDbStorage.open(original)) {
            for (SessionKey key : KEYS) {
                s.getOrCreateSession(key, "agent");
                for (int i = 0; i < 8; i++) {
                    s.appendMessage(key, "T-" + i, Message.user("T-q-" + key.sessionId() + "-" + i));
                    s.appendMessage(key, "T-" + i, Message.assistant("T-a-" + key.userId() + "-" + i));
                    s.completeRun(key, "T-" + i);
                }
            }
            s.saveMemory(new UserMemory("m1", "alice", "Alice lives in Porto", List.of("home"), null, Instant.EPOCH,
                    Instant.EPOCH));
        }
        byte[] index = Files.readAllBytes(original);
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < index.length; i++) {
            if (index[i] != 0) {
                candidates.add(i);
            }
        }
        Random random = new Random(11);
        int rebuilt = 0;
        int flips = Math.min(FLIPS, candidates.size());
        for (int f = 0; f < flips; f++) {
            int at = candidates.get(random.nextInt(candidates.size()));
            Path caseDir = dir.resolve("flip-" + f);
            Files.createDirectories(caseDir);
            for (Path p : Files.list(original.getParent()).toList()) {
                Files.copy(p, caseDir.resolve(p.getFileName()));
            }
            Path file = caseDir.resolve("memory.db");
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.seek(at);
                raf.write(index[at] ^ (1 << random.nextInt(8)));
            }
            try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file)) {
                for (SessionKey key : KEYS) {
                    List<Run> runs = s.runs(key).toList();
                    assertThat(runs).as("flip at %d: runs of %s", at, key).hasSize(8);
                    for (int i = 0; i < 8; i++) {
                        assertThat(runs.get(i).runId()).isEqualTo("T-" + i);
                        assertThat(runs.get(i).messages()).extracting(Message::content).as("flip at %d", at)
                                .containsExactly("T-q-" + key.sessionId() + "-" + i, "T-a-" + key.userId() + "-" + i);
                    }
                    assertThat(s.lastRuns(key, 3)).extracting(Run::runId).containsExactly("T-5", "T-6", "T-7");
                    assertThat(s.session(key).orElseThrow().agentId()).contains("agent");
                }
                assertThat(s.memories("alice")).extracting(UserMemory::memory).containsExactly("Alice lives in Porto");
                if (log.text().contains("rebuil")) {
                    rebuilt++;
                }
            }
        }
        System.out.printf("IndexChecksumTest: %d flips, %d noticed and rebuilt, the rest harmless%n", flips, rebuilt);
        assertThat(rebuilt).as("flips that were noticed").isPositive();
    }

    /** Damage the open did not see, found by a read: the index is rebuilt while the store is open. */
    @Test
    void damageFoundByAReadIsRepairedWhileTheStoreIsOpen() throws IOException {
        Path file = dir.resolve("memory.db");
        // enough runs that their index pages are more than the open reads (and the volume caches): 48 were, before
        // the index held only the last version of each node a checkpoint changes
        int runs = 200;
        try (MapDbStorage s = MapDbStorage.open(file)) {
            for (SessionKey key : KEYS) {
                s.getOrCreateSession(key, "agent");
                for (int i = 0; i < runs; i++) {
                    s.appendMessage(key, "T-" + i, Message.user("T-q-" + key.sessionId() + "-" + i));
                    s.completeRun(key, "T-" + i);
                }
            }
        }
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file)) {
            byte[] index = Files.readAllBytes(file);
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                for (int at = 8192; at < index.length; at += 97) {
                    if (index[at] != 0) {
                        raf.seek(at);
                        raf.write(index[at] ^ 0x04);
                    }
                }
            }
            for (SessionKey key : KEYS) {
                List<Run> all = s.runs(key).toList();
                assertThat(all).hasSize(runs);
                for (int i = 0; i < runs; i++) {
                    assertThat(all.get(i).messages().get(0).content()).isEqualTo("T-q-" + key.sessionId() + "-" + i);
                }
            }
            assertThat(log.text()).contains("the index cannot be trusted").contains("rebuilt the index from the "
                    + "journal");
            s.appendMessage(KEYS.get(0), "T-" + runs, Message.user("after the repair"));
        }
        try (MapDbStorage s = MapDbStorage.open(file)) {
            assertThat(s.lastRuns(KEYS.get(0), 1).get(0).messages().get(0).content()).isEqualTo("after the repair");
        }
    }
}
