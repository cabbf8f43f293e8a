package dev.agnomemory.core.storage.mapdb;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.zip.CRC32C;
import org.mapdb.DBException;

/**
 * A CRC32C of every 4 KiB page of an index file, kept in {@code <file>.sums}, so a page damaged on disk (anywhere:
 * a value, a key, MapDB's own structure) fails when it is read instead of being read as data.
 *
 * <p>Rules:
 * <ul>
 *   <li>A page read from the file must match its sum; pages written since the last sync are this process's own
 *       writes and are not checked. A page without a sum (the file grew, or the sums file is missing or damaged)
 *       fails like a damaged one.</li>
 *   <li>Writes mark pages; {@link #sync} reads the marked pages back, computes their sums and rewrites the sums
 *       file (with a checksum of its own) and forces it to disk. MapDB writes the main file only inside a commit and
 *       ends the commit with a sync, so after a commit that completed the sums match the file. A crash inside a
 *       commit leaves them out of step, which the store notices anyway (no end marker) and answers by rebuilding.</li>
 * </ul>
 * A failure is a {@link DBException.DataCorruption}, which the index reports as damage.
 */
final class PageSums {

    private static final byte[] MAGIC = {'A', 'G', 'N', 'O', 'S', 'U', 'M', 'S'};
    private static final int HEADER = 16;

    private final Path path;
    private final int pageSize;
    private int[] sums;
    private int known;
    private final BitSet dirty = new BitSet();

    private PageSums(Path path, int pageSize, int[] sums, int known) {
        this.path = path;
        this.pageSize = pageSize;
        this.sums = sums;
        this.known = known;
    }

    static Path pathFor(Path file) {
        return file.resolveSibling(file.getFileName() + ".sums");
    }

    /** Loads the sums of {@code file}; missing or damaged sums leave every page unknown. */
    static PageSums load(Path file, int pageSize) {
        Path path = pathFor(file);
        try {
            byte[] bytes = Files.readAllBytes(path);
            ByteBuffer b = ByteBuffer.wrap(bytes);
            if (bytes.length >= HEADER && Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)
                    && (bytes.length - HEADER) % 4 == 0) {
                CRC32C crc = new CRC32C();
                crc.update(bytes, HEADER, bytes.length - HEADER);
                crc.update(bytes, 0, 12);
                if (b.getInt(12) == (int) crc.getValue() && b.getInt(8) == pageSize) {
                    int n = (bytes.length - HEADER) / 4;
                    int[] sums = new int[Math.max(16, n)];
                    for (int i = 0; i < n; i++) {
                        sums[i] = b.getInt(HEADER + 4 * i);
                    }
                    return new PageSums(path, pageSize, sums, n);
                }
            }
        } catch (NoSuchFileException e) {
            // a new file, or one whose sums are lost: every page unknown
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
        return new PageSums(path, pageSize, new int[16], 0);
    }

    /** Deletes the sums file of {@code file}. */
    static void delete(Path file) throws IOException {
        Files.deleteIfExists(pathFor(file));
    }

    /** Marks the pages of {@code [from, to)} as written. */
    void written(long from, long to) {
        if (to <= from) {
            return;
        }
        dirty.set(page(from), page(to - 1) + 1);
    }

    private int page(long offset) {
        long p = offset / pageSize;
        if (p > Integer.MAX_VALUE - 1) {
            throw new DBException.VolumeIOError("file too large for page checksums");
        }
        return (int) p;
    }

    /**
     * Checks a page read from the file: {@code length} bytes (a whole page, or less at the end of the file).
     *
     * @throws DBException.DataCorruption when it does not match its sum, or has none
     */
    void verify(Path file, long pageStart, byte[] bytes, int length) {
        int p = page(pageStart);
        if (dirty.get(p)) {
            return;
        }
        if (p >= known) {
            throw new DBException.DataCorruption("page " + p + " of " + file + " has no checksum (the file is "
                    + "longer than its sums file " + path.getFileName() + " knows)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        if ((int) crc.getValue() != sums[p]) {
            throw new DBException.DataCorruption("page " + p + " (offset " + pageStart + ") of " + file
                    + " does not match its checksum");
        }
    }

    /** Computes the sums of the written pages from the file's bytes and rewrites the sums file. */
    void sync(RandomAccessFile raf) throws IOException {
        long length = raf.length();
        int pages = (int) ((length + pageSize - 1) / pageSize);
        if (dirty.isEmpty() && pages == known) {
            return;
        }
        if (sums.length < pages) {
            sums = Arrays.copyOf(sums, Math.max(pages, sums.length * 2));
        }
        byte[] page = new byte[pageSize];
        // written pages, and pages the file grew by without a write through this volume
        for (int p = 0; p < pages; p++) {
            if (dirty.get(p) || p >= known) {
                long start = (long) p * pageSize;
                int n = (int) Math.min(pageSize, length - start);
                raf.seek(start);
                raf.readFully(page, 0, n);
                CRC32C pageCrc = new CRC32C();
                pageCrc.update(page, 0, n);
                sums[p] = (int) pageCrc.getValue();
            }
        }
        CRC32C crc = new CRC32C();
        known = pages;
        dirty.clear();
        ByteBuffer out = ByteBuffer.allocate(HEADER + 4 * pages);
        out.put(MAGIC).putInt(pageSize).putInt(0);
        for (int p = 0; p < pages; p++) {
            out.putInt(sums[p]);
        }
        byte[] bytes = out.array();
        crc.reset();
        crc.update(bytes, HEADER, bytes.length - HEADER);
        crc.update(bytes, 0, 12);
        ByteBuffer.wrap(bytes).putInt(12, (int) crc.getValue());
        try (RandomAccessFile sumsFile = new RandomAccessFile(path.toFile(), "rw")) {
            sumsFile.setLength(bytes.length);
            sumsFile.seek(0);
            sumsFile.write(bytes);
            sumsFile.getFD().sync();
        }
    }
}
