package dev.agnomemory.core.storage.mapdb;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The files of one store. The user names the MapDB index file ({@code chat.db}); beside it live the journal
 * ({@code chat.db.journal}, the source of truth), the lock file ({@code chat.db.lock}) and, only while they are
 * being built, the files of a rebuild or compaction.
 */
record StoreFiles(Path index, Path journal, Path lock, Path rebuildIndex, Path compactIndex, Path compactJournal) {

    /** MapDB's header starts with this byte ({@code CC.FILE_HEADER}). */
    private static final int MAPDB_HEADER_BYTE = 0x4A;

    static StoreFiles of(Path index) {
        Path abs = index.toAbsolutePath();
        String name = abs.getFileName().toString();
        return new StoreFiles(abs, abs.resolveSibling(name + ".journal"), abs.resolveSibling(name + ".lock"),
                abs.resolveSibling(name + ".rebuild"), abs.resolveSibling(name + ".compact"),
                abs.resolveSibling(name + ".journal.compact"));
    }

    /** Deletes a MapDB file and the write-ahead-log files MapDB keeps beside it ({@code name.wal.N}). */
    static void deleteMapDbFiles(Path file) throws IOException {
        Files.deleteIfExists(file);
        deleteWalFiles(file);
    }

    /**
     * Deletes the write-ahead-log files beside a MapDB file. They only ever hold uncommitted changes here (a
     * checkpoint cut off inside MapDB's commit is detected through the journal and the index rebuilt), and
     * MapDB 3.1 never replays them.
     */
    static void deleteWalFiles(Path file) throws IOException {
        Path dir = file.getParent();
        String prefix = file.getFileName() + ".wal.";
        try (DirectoryStream<Path> wal = Files.newDirectoryStream(dir, p -> p.getFileName().toString()
                .startsWith(prefix))) {
            for (Path p : wal) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Whether the file starts like a MapDB store file. */
    static boolean looksLikeMapDb(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == MAPDB_HEADER_BYTE && Files.size(file) >= 16;
        } catch (IOException e) {
            return false;
        }
    }

    /** Atomically replaces {@code target} with {@code source} and makes the rename durable. */
    static void replace(Path source, Path target) throws IOException {
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(target);
    }

    /** Forces the directory entry of {@code file} to disk, so a rename or creation survives a crash. */
    static void syncDirectory(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory for reading; the rename is still atomic there.
            if (!System.getProperty("os.name", "").toLowerCase().contains("win")) {
                throw e;
            }
        }
    }
}
