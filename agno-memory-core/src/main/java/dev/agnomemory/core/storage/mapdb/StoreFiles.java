package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The files of one store. The user names the MapDB index file ({@code chat.db}); beside it live the journal
 * segments ({@code chat.db.journal-00000001}, ...: the source of truth), the lock file ({@code chat.db.lock}) and,
 * only while they are being built, the files of a rebuild or compaction ({@code .rebuild}, {@code .compact},
 * {@code .tmp}). {@code chat.db.journal} is a journal of format 1, migrated at open.
 *
 * <p>Must be used only from the store's own threads where it uses {@code FileChannel}: a channel closes itself when
 * the thread using it is interrupted.
 */
record StoreFiles(Path index, Path lock, Path legacyJournal, Path rebuildIndex, Path compactIndex) {

    /** MapDB's header starts with this byte ({@code CC.FILE_HEADER}). */
    private static final int MAPDB_HEADER_BYTE = 0x4A;
    private static final String SEGMENT_INFIX = ".journal-";
    static final String TEMP_SUFFIX = ".tmp";

    static StoreFiles of(Path index) {
        Path abs = index.toAbsolutePath().normalize();
        String name = abs.getFileName().toString();
        return new StoreFiles(abs, abs.resolveSibling(name + ".lock"), abs.resolveSibling(name + ".journal"),
                abs.resolveSibling(name + ".rebuild"), abs.resolveSibling(name + ".compact"));
    }

    Path directory() {
        return index.getParent();
    }

    /** The file of journal segment {@code number}. */
    Path segment(long number) {
        return index.resolveSibling(index.getFileName() + SEGMENT_INFIX + String.format("%08d", number));
    }

    static Path temp(Path file) {
        return file.resolveSibling(file.getFileName() + TEMP_SUFFIX);
    }

    /** The numbers of the journal segment files present, ascending. */
    List<Long> segmentNumbers() {
        Pattern pattern = Pattern.compile(Pattern.quote(index.getFileName() + SEGMENT_INFIX) + "(\\d{8,18})");
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(directory())) {
            for (Path p : dir) {
                Matcher m = pattern.matcher(p.getFileName().toString());
                if (m.matches()) {
                    out.add(Long.parseLong(m.group(1)));
                }
            }
        } catch (IOException e) {
            throw IoFailures.storage("Cannot list the files of store", index, e);
        }
        out.sort(null);
        return out;
    }

    /** Files of an operation that never finished (temporary segments, indexes being built): never the truth. */
    List<Path> leftovers() {
        List<Path> out = new ArrayList<>();
        String base = index.getFileName().toString();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(directory())) {
            for (Path p : dir) {
                String n = p.getFileName().toString();
                boolean tempSegment = n.startsWith(base + SEGMENT_INFIX) && n.endsWith(TEMP_SUFFIX);
                boolean building = n.startsWith(rebuildIndex.getFileName().toString())
                        || n.startsWith(compactIndex.getFileName().toString());
                // left by format 1
                boolean legacy = n.equals(base + ".journal.tmp") || n.equals(base + ".journal.compact")
                        || n.equals(base + ".journal.compact.tmp");
                if (tempSegment || building || legacy) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw IoFailures.storage("Cannot list the files of store", index, e);
        }
        return out;
    }

    /**
     * Deletes an index file with what belongs to it: MapDB's write-ahead-log files ({@code name.wal.N}) and its
     * page checksums ({@code name.sums}).
     */
    static void deleteMapDbFiles(Path file) throws IOException {
        Files.deleteIfExists(file);
        deleteWalFiles(file);
        PageSums.delete(file);
    }

    /** Puts a finished index file (and its page checksums) in place of {@code target}, durably. */
    static void replaceIndexFile(Path source, Path target) throws IOException {
        deleteWalFiles(target);
        Files.move(PageSums.pathFor(source), PageSums.pathFor(target), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        replace(source, target);
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

    /** Whether the file starts like a MapDB store file. Must not be called on a file MapDB has open and locked. */
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
        // A channel closes itself when its thread is interrupted, and this may run on a caller's thread (one leading
        // the journal's writes when a segment rolls): the interrupt status is set aside and put back after.
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
                    ch.force(true);
                    return;
                } catch (java.nio.channels.ClosedByInterruptException e) {
                    interrupted = true;
                    Thread.interrupted();
                    if (attempt == 3) {
                        throw e;
                    }
                } catch (IOException e) {
                    // Some platforms cannot open a directory for reading; the rename is still atomic there.
                    if (!System.getProperty("os.name", "").toLowerCase().contains("win")) {
                        throw e;
                    }
                    return;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Refuses a store the process must not write: its directory or one of its files is read-only (a read-only file
     * system, no write permission, or the owner's write bit cleared, which counts even for a superuser who could
     * write anyway: someone marked the file read-only on purpose).
     *
     * @throws StorageException naming the read-only file
     */
    void requireWritable() {
        Path dir = directory();
        if (!Files.isDirectory(dir)) {
            throw new StorageException("Cannot open the store " + index + ": the directory " + dir + " does not exist");
        }
        try {
            FileStore store = Files.getFileStore(dir);
            if (store.isReadOnly()) {
                throw readOnly(dir, "is on a read-only file system");
            }
        } catch (IOException e) {
            throw IoFailures.storage("Cannot inspect the directory of store", index, e);
        }
        List<Path> files = new ArrayList<>();
        files.add(dir);
        for (Path p : List.of(index, lock, legacyJournal)) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                files.add(p);
            }
        }
        for (long n : segmentNumbers()) {
            files.add(segment(n));
        }
        for (Path p : files) {
            String problem = readOnlyProblem(p);
            if (problem != null) {
                throw readOnly(p, problem);
            }
        }
    }

    private static String readOnlyProblem(Path p) {
        PosixFileAttributeView posix = Files.getFileAttributeView(p, PosixFileAttributeView.class);
        if (posix != null) {
            try {
                Set<PosixFilePermission> permissions = posix.readAttributes().permissions();
                if (!permissions.contains(PosixFilePermission.OWNER_WRITE)) {
                    return "is read-only (permissions " + PosixFilePermissions.toString(permissions) + ")";
                }
            } catch (IOException e) {
                return "cannot be inspected (" + IoFailures.reason(e) + ")";
            }
        }
        if (!Files.isWritable(p)) {
            return "is not writable by this process";
        }
        return null;
    }

    private StorageException readOnly(Path p, String problem) {
        return new StorageException("Cannot open the store " + index + " for writing: " + p + " " + problem
                + ". Nothing was changed. Make it writable, or open the store with MapDbStorage.openReadOnly to read "
                + "it.");
    }
}
