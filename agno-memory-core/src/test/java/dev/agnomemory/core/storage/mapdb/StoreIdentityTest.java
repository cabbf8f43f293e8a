package dev.agnomemory.core.storage.mapdb;

import static dev.agnomemory.core.storage.mapdb.StoreFixtures.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.storage.StoreFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every journal segment and the index carry the store's random id, and the index the journal generation it was
 * built from: files of two stores, or of two times of one store, are never mixed silently.
 */
class StoreIdentityTest {

    @TempDir
    Path dir;

    private Path store(String name, int runs) {
        Path file = dir.resolve(name).resolve("memory.db");
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        StoreFixtures.writeRuns(file, runs);
        return file;
    }

    @Test
    void anIndexPairedWithAnotherStoresJournalIsRefusedNotRebuilt() throws IOException {
        Path a = store("a", 5);
        Path b = store("b", 7);
        Files.copy(a, b, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(PageSums.pathFor(a), PageSums.pathFor(b), StandardCopyOption.REPLACE_EXISTING);
        Map<String, byte[]> before = StoreFixtures.snapshot(b.getParent());
        assertThatThrownBy(() -> MapDbStorage.open(b)).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(b.toString()).hasMessageContaining("belongs to another store")
                .hasMessageContaining("Nothing was changed");
        StoreFixtures.assertUnchanged(b.getParent(), before);
    }

    @Test
    void aJournalSegmentOfAnotherStoreIsRefused() throws IOException {
        Path a = dir.resolve("a").resolve("memory.db");
        Path b = dir.resolve("b").resolve("memory.db");
        for (Path f : List.of(a, b)) {
            Files.createDirectories(f.getParent());
            try (MapDbStorage s = MapDbStorage.builder().file(f).maxSegmentBytes(64 * 1024).build()) {
                s.getOrCreateSession(KEY, null);
                for (int i = 0; i < 200; i++) {
                    s.appendMessage(KEY, "r" + i, dev.agnomemory.core.Message.user("x".repeat(1000) + i));
                }
            }
        }
        List<Path> segmentsOfB = StoreFixtures.segments(b);
        assertThat(segmentsOfB).hasSizeGreaterThan(2);
        Path second = segmentsOfB.get(1);
        Files.copy(a.resolveSibling(second.getFileName()), second, StandardCopyOption.REPLACE_EXISTING);
        Map<String, byte[]> before = StoreFixtures.snapshot(b.getParent());
        assertThatThrownBy(() -> MapDbStorage.open(b)).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(second.toString()).hasMessageContaining("another store")
                .hasMessageContaining("Nothing was changed");
        StoreFixtures.assertUnchanged(b.getParent(), before);
    }

    @Test
    void aJournalOlderThanItsIndexIsRefusedAndAnIndexOlderThanItsJournalIsRebuilt() throws IOException {
        Path file = store("s", 6);
        Path older = dir.resolve("older");
        Files.createDirectories(older);
        for (Path p : StoreFixtures.segments(file)) {
            Files.copy(p, older.resolve(p.getFileName()));
        }
        Files.copy(file, older.resolve("memory.db.index"));
        Files.copy(PageSums.pathFor(file), older.resolve("memory.db.index.sums"));
        try (MapDbStorage s = MapDbStorage.open(file)) {
            s.deleteSession(KEY);
            s.compact(); // a new journal generation, and an index built from it
        }
        // the new index with the old journal: the journal knows less than the index
        Path mixed = dir.resolve("mixed").resolve("memory.db");
        Files.createDirectories(mixed.getParent());
        for (Path p : StoreFixtures.segments(older.resolve("memory.db"))) {
            Files.copy(p, mixed.resolveSibling(p.getFileName()));
        }
        Files.copy(file, mixed);
        Files.copy(PageSums.pathFor(file), PageSums.pathFor(mixed));
        Map<String, byte[]> before = StoreFixtures.snapshot(mixed.getParent());
        assertThatThrownBy(() -> MapDbStorage.open(mixed)).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining("generation").hasMessageContaining("older than the index")
                .hasMessageContaining("Nothing was changed");
        StoreFixtures.assertUnchanged(mixed.getParent(), before);

        // the old index with the new journal: what a compaction stopped between its two renames leaves; rebuilt
        Files.copy(older.resolve("memory.db.index"), file, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(older.resolve("memory.db.index.sums"), PageSums.pathFor(file), StandardCopyOption.REPLACE_EXISTING);
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file)) {
            assertThat(s.session(KEY)).isEmpty();
            assertThat(log.text()).contains("generation").contains("rebuilding it from the journal");
        }
    }
}
