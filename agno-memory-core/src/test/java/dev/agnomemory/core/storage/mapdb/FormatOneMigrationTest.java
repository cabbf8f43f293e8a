package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.StoreFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stores written with journal format 1 (by the code before format 2; see {@code format1/README.md}) open: the
 * journal is migrated at open with a log line, and the store reads exactly as format 1 read it, versions included.
 */
class FormatOneMigrationTest {

    private static final List<String> USERS = List.of("alice", "bob", "carol", "dave");

    @TempDir
    Path dir;

    private Path fixture(String resource, String name) throws IOException {
        Path target = dir.resolve(name);
        Files.createDirectories(target.getParent());
        try (InputStream in = getClass().getResourceAsStream("/format1/" + resource)) {
            assertThat(in).as(resource).isNotNull();
            Files.copy(resource.endsWith(".gz") ? new GZIPInputStream(in) : in, target);
        }
        return target;
    }

    private String expected(String resource) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/format1/" + resource)) {
            return StoreDump.normalized(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aStoreWrittenThroughTheApiMigratesAndReadsAsBefore() throws IOException {
        fixture("api.db.journal", "api.db.journal");
        Path file = dir.resolve("api.db");
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file)) {
            assertThat(log.text()).contains("migrated journal format 1");
            assertThat(StoreDump.normalized(StoreDump.dump(s, USERS))).isEqualTo(expected("api.dump"));
        }
        assertThat(StoreFixtures.names(dir)).doesNotContain("api.db.journal").contains("api.db.journal-00000001");
        try (MapDbStorage s = MapDbStorage.open(file)) {
            assertThat(StoreDump.normalized(StoreDump.dump(s, USERS))).isEqualTo(expected("api.dump"));
            // and it goes on: the running run of bob takes a message, a new session starts
            s.appendMessage(SessionKey.of("bob", "trip"), "b3", Message.user("continued"));
            s.getOrCreateSession(SessionKey.of("erin", "new"), null);
        }
        try (MapDbStorage s = MapDbStorage.open(file)) {
            assertThat(s.lastRuns(SessionKey.of("bob", "trip"), 1).get(0).messages()).extracting(Message::content)
                    .containsExactly("After the checkpoint", "continued");
        }
    }

    @Test
    void aStoreThatStoppedWithRecordsAfterItsCheckpointMigrates() throws IOException {
        fixture("crashed/api.db.journal", "api.db.journal");
        fixture("crashed/api.db.gz", "api.db");
        try (MapDbStorage s = MapDbStorage.open(dir.resolve("api.db"))) {
            assertThat(StoreDump.normalized(StoreDump.dump(s, USERS))).isEqualTo(expected("crashed/api.dump"));
        }
    }

    @Test
    void recordTypesOfOlderBuildsAreRead() throws IOException {
        fixture("legacy.db.journal", "legacy.db.journal");
        try (MapDbStorage s = MapDbStorage.open(dir.resolve("legacy.db"))) {
            assertThat(StoreDump.normalized(StoreDump.dump(s, USERS))).isEqualTo(expected("legacy.dump"));
        }
    }

    @Test
    void aFormatOneStoreOpensReadOnlyWithoutBeingMigrated() throws IOException {
        fixture("api.db.journal", "api.db.journal");
        Map<String, byte[]> before = StoreFixtures.snapshot(dir);
        try (MapDbStorage s = MapDbStorage.openReadOnly(dir.resolve("api.db"))) {
            assertThat(StoreDump.normalized(StoreDump.dump(s, USERS))).isEqualTo(expected("api.dump"));
        }
        StoreFixtures.assertUnchanged(dir, before);
    }

    @Test
    void aFormatOneJournalShorterThanItsIndexKnowsIsRefusedNotMigrated() throws IOException {
        Path journal = fixture("crashed/api.db.journal", "api.db.journal");
        fixture("crashed/api.db.gz", "api.db");
        try (RandomAccessFile raf = new RandomAccessFile(journal.toFile(), "rw")) {
            raf.setLength(raf.length() / 2);
        }
        Map<String, byte[]> before = StoreFixtures.snapshot(dir);
        assertThatThrownBy(() -> MapDbStorage.open(dir.resolve("api.db"))).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(journal.toString()).hasMessageContaining("the index has applied the journal up")
                .hasMessageContaining("Nothing was changed");
        StoreFixtures.assertUnchanged(dir, before);
    }

    /** A migration that stopped after its commit point (the old journal not yet deleted) is finished at open. */
    @Test
    void aMigrationInterruptedAfterItsCommitPointIsFinished() throws IOException {
        fixture("api.db.journal", "api.db.journal");
        Path file = dir.resolve("api.db");
        try (MapDbStorage s = MapDbStorage.open(file)) {
            assertThat(s.session(SessionKey.of("alice", "trip"))).isPresent();
        }
        fixture("api.db.journal", "old/api.db.journal");
        Files.copy(dir.resolve("old/api.db.journal"), dir.resolve("api.db.journal"));
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file)) {
            assertThat(log.text()).contains("finishing the migration");
            assertThat(StoreDump.normalized(StoreDump.dump(s, USERS))).isEqualTo(expected("api.dump"));
        }
        assertThat(StoreFixtures.names(dir)).doesNotContain("api.db.journal");
    }

    @Test
    void aFormatOneJournalBesideSegmentsItDidNotBecomeIsRefused() throws IOException {
        fixture("api.db.journal", "api.db.journal");
        Path file = dir.resolve("api.db");
        try (MapDbStorage s = MapDbStorage.open(file)) {
            assertThat(s.session(SessionKey.of("alice", "trip"))).isPresent();
        }
        fixture("legacy.db.journal", "api.db.journal");
        Map<String, byte[]> before = StoreFixtures.snapshot(dir);
        assertThatThrownBy(() -> MapDbStorage.open(file)).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining("api.db.journal").hasMessageContaining("were not migrated from this journal")
                .hasMessageContaining("Nothing was changed");
        StoreFixtures.assertUnchanged(dir, before);
    }
}
