package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.SessionFilter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every storage operation, on a real file, including reopening. */
class MapDbStorageTest {

    @TempDir
    Path dir;

    private Path file;
    private MapDbStorage storage;
    private final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

    /** A clock that advances one millisecond per reading, so "newest first" is deterministic. */
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.incrementAndGet());
        }
    };

    private static final SessionKey ALICE_1 = SessionKey.of("alice", "s1");
    private static final SessionKey ALICE_2 = SessionKey.of("alice", "s2");
    private static final SessionKey BOB_1 = SessionKey.of("bob", "s1");

    @BeforeEach
    void open() {
        file = dir.resolve("memory.db");
        storage = openStorage();
    }

    @AfterEach
    void close() {
        storage.close();
    }

    private MapDbStorage openStorage() {
        return MapDbStorage.builder().file(file).clock(clock).checkpointEvery(7).build();
    }

    private void reopen() {
        storage.close();
        storage = openStorage();
    }

    private void addRun(SessionKey key, String runId, String question, String answer) {
        storage.appendMessage(key, runId, Message.user(question));
        storage.appendMessage(key, runId, Message.assistant(answer));
        storage.completeRun(key, runId);
    }

    @Test
    void openingWithoutCreatingFailsClearlyAndLeavesNoFiles() throws Exception {
        Path missing = dir.resolve("nothing-here.db");
        assertThatThrownBy(() -> MapDbStorage.builder().file(missing).createIfMissing(false).build())
                .isInstanceOf(dev.agnomemory.core.storage.StorageException.class)
                .hasMessageContaining("no store at").hasMessageContaining(missing.toString());
        try (var files = java.nio.file.Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("nothing-here"));
        }
        storage.getOrCreateSession(ALICE_1, null);
        storage.close();
        try (MapDbStorage existing = MapDbStorage.builder().file(file).createIfMissing(false).build()) {
            assertThat(existing.session(ALICE_1)).isPresent();
        }
        storage = openStorage();
    }

    @Test
    void inMemoryModeSupportsTheSameOperations() {
        try (MapDbStorage memory = MapDbStorage.inMemory()) {
            memory.getOrCreateSession(ALICE_1, "a");
            memory.appendMessage(ALICE_1, "r1", Message.user("hi"));
            memory.completeRun(ALICE_1, "r1");
            memory.saveMemory(UserMemory.create("alice", "Alice says hi", null, null));
            assertThat(memory.lastRuns(ALICE_1, 3)).hasSize(1);
            assertThat(memory.memories("alice")).hasSize(1);
            assertThat(memory.file()).isEmpty();
            assertThat(memory.deleteSession(ALICE_1)).isTrue();
            memory.compact();
            assertThat(memory.session(ALICE_1)).isEmpty();
        }
    }

    /**
     * Compaction rewrites the store from a snapshot; numbers handed out before it (internal session numbers,
     * versions) must never be handed out again, or a stream paging through a deleted session could read the runs
     * of a session created after the compaction.
     */
    @Test
    void numbersHandedOutBeforeACompactionAreNeverReused() {
        storage.getOrCreateSession(ALICE_1, null);
        storage.getOrCreateSession(BOB_1, null);
        for (int i = 0; i < 100; i++) {
            addRun(BOB_1, "bob-" + i, "bob's question " + i, "answer");
        }
        long bobVersion = storage.sessionVersion(BOB_1).orElseThrow();
        var bobRuns = storage.runs(BOB_1).iterator();
        assertThat(bobRuns.next().runId()).isEqualTo("bob-0");

        storage.deleteSession(BOB_1); // the newest session: its number would be the next one handed out
        storage.compact();
        SessionKey carol = SessionKey.of("carol", "s1");
        Session created = storage.getOrCreateSession(carol, null);
        for (int i = 0; i < 100; i++) {
            addRun(carol, "carol-" + i, "carol's secret " + i, "answer");
        }
        assertThat(created.version()).isGreaterThan(bobVersion);
        java.util.List<String> rest = new java.util.ArrayList<>();
        bobRuns.forEachRemaining(run -> rest.add(run.runId()));
        assertThat(rest).allMatch(id -> id.startsWith("bob-"));
    }

    @Test
    void builderRejectsBadSettings() {
        assertThatThrownBy(() -> MapDbStorage.builder().checkpointEvery(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("checkpointEvery");
        assertThatThrownBy(() -> MapDbStorage.builder().purgeDelay(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("purgeDelay");
        assertThatThrownBy(() -> MapDbStorage.builder().clock(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clock");
    }

    private static SessionSummary summary(String text, long lastRun) {
        return new SessionSummary(text, List.of("topic"), lastRun, Instant.parse("2026-01-01T00:00:00Z"));
    }
}
