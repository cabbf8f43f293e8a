package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StoreFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The first {@value #SIZE} bytes of a journal segment file: what the segment is and which store it belongs to.
 *
 * <p>Layout (big-endian): magic {@code AGNOMEMJ}, format version (int), kind (byte: 0 log, 1 snapshot), 3 zero
 * bytes, store id (16 bytes), generation, segment number, start lsn (longs), chain salt (int), 4 zero bytes, the size
 * and header checksum of a format-1 journal this segment was migrated from (long, int; zero otherwise), zeros, and
 * the CRC32C of everything before it. The magic and the place of the version are those of format 1, so each format
 * recognises the other.
 *
 * @param kind a log segment (frames appended as writes come) or a snapshot (a compacted or migrated journal, written
 *     whole before it was renamed into place; it replaces every segment with a lower number)
 * @param storeId the store's identity
 * @param generation incremented by every compaction; the journal's generation is that of its first segment
 * @param number the segment's number, also in its file name
 * @param startLsn a log segment: the number of its first record; a snapshot: the last record number it covers (the
 *     next log segment starts after it)
 * @param salt the seed of the segment's checksum chain, random per segment
 * @param originSize for a snapshot migrated from a format-1 journal, that journal's size, else 0
 * @param originHeaderCrc the format-1 journal's header checksum, else 0
 */
record SegmentHeader(Kind kind, StoreId storeId, long generation, long number, long startLsn, int salt,
        long originSize, int originHeaderCrc) {

    static final int SIZE = 96;
    static final int FORMAT_VERSION = 2;
    static final byte[] MAGIC = "AGNOMEMJ".getBytes(StandardCharsets.US_ASCII);

    enum Kind {
        LOG, SNAPSHOT
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(SIZE);
        b.put(MAGIC).putInt(FORMAT_VERSION).put((byte) kind.ordinal()).put(new byte[3]);
        b.putLong(storeId.high()).putLong(storeId.low()).putLong(generation).putLong(number).putLong(startLsn);
        b.putInt(salt).putInt(0).putLong(originSize).putInt(originHeaderCrc);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, SIZE - 4);
        b.putInt(SIZE - 4, (int) crc.getValue());
        return b.array();
    }

    /**
     * @param bytes at least the first {@value #SIZE} bytes of the file, or fewer when the file is shorter
     * @throws StoreFormatException when the bytes are not a segment header this version reads
     */
    static SegmentHeader decode(Path file, byte[] bytes, int length) {
        if (length < MAGIC.length || !Arrays.equals(Arrays.copyOf(bytes, MAGIC.length), MAGIC)) {
            throw new StoreFormatException(file, "not an agno-memory journal segment (unknown header)");
        }
        if (length < 12) {
            throw new StoreFormatException(file, "journal segment header is cut off (" + length + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int version = b.getInt(MAGIC.length);
        if (version > FORMAT_VERSION) {
            throw new StoreFormatException(file, "journal format version " + version + " was written by a newer "
                    + "agno-memory; this version reads up to " + FORMAT_VERSION + ". Upgrade agno-memory to open it.");
        }
        if (version != FORMAT_VERSION) {
            throw new StoreFormatException(file, "journal format version " + version + " in a segment file; "
                    + "segments are format " + FORMAT_VERSION);
        }
        if (length < SIZE) {
            throw new StoreFormatException(file, "journal segment header is cut off (" + length + " of " + SIZE
                    + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, SIZE - 4);
        if ((int) crc.getValue() != b.getInt(SIZE - 4)) {
            throw new StoreFormatException(file, "journal segment header is damaged (checksum mismatch)");
        }
        int kind = b.get(12);
        if (kind < 0 || kind >= Kind.values().length) {
            throw new StoreFormatException(file, "unknown journal segment kind " + kind);
        }
        return new SegmentHeader(Kind.values()[kind], new StoreId(b.getLong(16), b.getLong(24)), b.getLong(32),
                b.getLong(40), b.getLong(48), b.getInt(56), b.getLong(64), b.getInt(72));
    }

    boolean isSnapshot() {
        return kind == Kind.SNAPSHOT;
    }

    /** @return the number of the first record of the log segment that follows this one, when it is a snapshot */
    long nextLsnAfterSnapshot() {
        return startLsn + 1;
    }
}
