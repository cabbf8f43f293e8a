package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.storage.StorageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store whose files or directory were made read-only is refused at open, clearly and with nothing changed (not
 * replaced by a writable file, not failing later in the log at close). {@link ReadOnlyOpenTest} reads such a store.
 */
class ReadOnlyFilesTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("memory.db");
    }

    @AfterEach
    void writableAgain() throws IOException {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (var list = Files.list(dir)) {
            for (Path p : list.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
            }
        }
    }

    private void assertRefused(Path readOnly) {
        Map<String, byte[]> before = StoreFixtures.snapshot(dir);
        assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StorageException.class)
                .hasMessageContaining(readOnly.toString()).hasMessageContaining("read-only")
                .hasMessageContaining("openReadOnly").hasMessageContaining("Nothing was changed");
        StoreFixtures.assertUnchanged(dir, before);
    }

    @Test
    void aReadOnlyIndexFileIsRefused() throws IOException {
        StoreFixtures.writeRuns(file(), 2);
        Object inode = Files.readAttributes(file(), java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("r--r--r--"));
        assertRefused(file());
        org.assertj.core.api.Assertions.assertThat(Files.readAttributes(file(),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey()).isEqualTo(inode);
        org.assertj.core.api.Assertions.assertThat(PosixFilePermissions.toString(
                Files.getPosixFilePermissions(file()))).isEqualTo("r--r--r--");
    }

    @Test
    void aReadOnlyJournalSegmentIsRefused() throws IOException {
        StoreFixtures.writeRuns(file(), 2);
        Path segment = StoreFixtures.lastSegment(file());
        Files.setPosixFilePermissions(segment, PosixFilePermissions.fromString("r--r--r--"));
        assertRefused(segment);
    }

    @Test
    void aReadOnlyDirectoryIsRefused() throws IOException {
        StoreFixtures.writeRuns(file(), 2);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        assertRefused(dir);
    }
}
