package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StoreFormatException;
import dev.agnomemory.core.storage.mapdb.BinaryIn.MalformedDataException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/**
 * Reads the frames of one journal segment in order, checks each, and decides where the segment's valid part ends.
 *
 * <p>The rules for the first frame that does not check out (bad checksum, broken chain, unexpected record number):
 * <ul>
 *   <li>only zeros from there to the end of the file: the end of the written part (segments are pre-allocated with
 *       zeros);</li>
 *   <li>in a segment that is not the last: damage (a later segment is only started once everything before it is on
 *       disk), refused;</li>
 *   <li>at a record the caller knows was durable (the index applied it): damage, refused;</li>
 *   <li>an intact frame after it whose durable mark is at or past it (see {@link Frame}): damage of an
 *       acknowledged write, refused;</li>
 *   <li>otherwise, when the unreadable bytes are no more than one write could have left ({@link #MAX_GROUP} bytes,
 *       or the length the damaged frame's own header declares): the last write, cut off by a crash before it was
 *       made durable: a torn tail, which the caller discards;</li>
 *   <li>anything larger is damage, refused: most of a file cannot be a torn write.</li>
 * </ul>
 * A refusal is a {@link StoreFormatException} naming the segment file and saying what is inconsistent; nothing is
 * changed.
 */
final class SegmentScanner {

    /** The log writer writes at most this many bytes at once (a larger single frame is written alone). */
    static final int MAX_GROUP = 1 << 20;
    private static final int CHUNK = 1 << 20;
    /** How far past the expected record number an intact frame found after damage may be numbered. */
    private static final long LSN_WINDOW = 1L << 24;

    /** Receives each record of a scan with its place. */
    @FunctionalInterface
    interface Visitor {
        void visit(long lsn, JournalRecord record, Pointer where);
    }

    /**
     * Where a scan ended.
     *
     * @param endOffset where the next frame goes
     * @param nextLsn the number of the next record
     * @param lastCrc the CRC of the last intact frame (the salt when there is none)
     * @param tornBytes how many bytes of a torn last write follow {@code endOffset}, 0 when none
     */
    record End(long endOffset, long nextLsn, int lastCrc, long tornBytes) {
    }

    private final Path path;
    private final RandomAccessFile file;
    private final SegmentHeader header;
    private final long size;
    private byte[] chunk = new byte[0];
    private long chunkStart;
    private int chunkLength;

    SegmentScanner(Path path, RandomAccessFile file, SegmentHeader header) {
        this.path = path;
        this.file = file;
        this.header = header;
        try {
            this.size = file.length();
        } catch (IOException e) {
            throw IoFailures.storage("Cannot read journal segment", path, e);
        }
    }

    /**
     * Scans from {@code from}.
     *
     * @param from the offset of the first frame to read
     * @param expectedLsn the number the first frame's first record must have
     * @param previousCrc the CRC the first frame must chain to, or null to accept the chain as the frame states it
     *     (a scan that starts in the middle of a segment)
     * @param last whether this is the journal's last segment (only there may a torn write end it)
     * @param knownDurable records up to this number are known to have been durable (the index applied them)
     */
    End scan(long from, long expectedLsn, Integer previousCrc, boolean last, long knownDurable, Visitor visitor) {
        long position = from;
        long lsn = expectedLsn;
        Integer chain = previousCrc;
        int lastCrc = previousCrc == null ? header.salt() : previousCrc;
        while (true) {
            if (position == size) {
                return new End(position, lsn, lastCrc, 0);
            }
            String damage;
            if (size - position < Frame.HEADER) {
                damage = "incomplete frame header";
            } else {
                byte[] h = bytes(position, Frame.HEADER);
                int at = offsetIn(position);
                int length = Frame.getInt(h, at);
                if (length == 0 && allZero(h, at, Frame.HEADER)) {
                    damage = "a zeroed frame header followed by other bytes";
                } else if (length < 1 || length > Frame.MAX_PAYLOAD || length > size - position - Frame.HEADER) {
                    damage = "bad frame length " + length;
                } else {
                    byte[] f = bytes(position, Frame.HEADER + length);
                    int fa = offsetIn(position);
                    int storedCrc = Frame.getInt(f, fa + 4);
                    int prev = Frame.getInt(f, fa + 8);
                    long frameLsn = Frame.getLong(f, fa + 12);
                    int count = Frame.getInt(f, fa + 20);
                    if (Frame.checksum(f, fa, length) != storedCrc) {
                        damage = "checksum mismatch";
                    } else if (chain != null && prev != chain) {
                        damage = "the frame does not follow the one before it (checksum chain broken)";
                    } else if (frameLsn != lsn) {
                        damage = "record number " + frameLsn + " where " + lsn + " was expected";
                    } else if (count < 1) {
                        damage = "bad record count " + count;
                    } else {
                        decode(f, fa, length, position, lsn, count, visitor);
                        lsn += count;
                        lastCrc = storedCrc;
                        chain = storedCrc;
                        position += Frame.HEADER + length;
                        continue;
                    }
                }
            }
            long torn = classify(position, lsn, damage, last, knownDurable);
            return new End(position, lsn, lastCrc, torn);
        }
    }

    /**
     * The CRC of the intact frame at {@code position}, or null when there is none there (damaged, or beyond the
     * file's end).
     */
    Integer intactFrameCrc(long position) {
        if (position < SegmentHeader.SIZE || size - position < Frame.HEADER) {
            return null;
        }
        byte[] h = bytes(position, Frame.HEADER);
        int length = Frame.getInt(h, offsetIn(position));
        if (length < 1 || length > size - position - Frame.HEADER) {
            return null;
        }
        byte[] f = bytes(position, Frame.HEADER + length);
        int fa = offsetIn(position);
        int crc = Frame.getInt(f, fa + 4);
        return Frame.checksum(f, fa, length) == crc ? crc : null;
    }

    /** The file's size. */
    long size() {
        return size;
    }

    private void decode(byte[] f, int fa, int length, long framePosition, long firstLsn, int count,
            Visitor visitor) {
        BinaryIn in = new BinaryIn(f, fa + Frame.HEADER, length);
        long lsn = firstLsn;
        try {
            for (int i = 0; i < count; i++) {
                int recordLength = in.readVarInt();
                int start = in.position();
                byte[] raw = in.readRaw(recordLength);
                JournalRecord record = JournalRecord.read(new BinaryIn(raw));
                java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                crc.update(raw);
                long offset = framePosition + (start - fa);
                visitor.visit(lsn++, record, new Pointer(header.number(), offset, recordLength, (int) crc.getValue()));
            }
            in.expectEnd();
        } catch (MalformedDataException | IllegalArgumentException e) {
            throw new StoreFormatException(path, "record " + lsn + " at offset " + framePosition
                    + " has a valid checksum but cannot be decoded (" + e.getMessage()
                    + "); was it written by a newer version?", e);
        }
    }

    /**
     * Decides what the bytes from {@code position} on are, for a frame that does not check out there.
     *
     * @return the number of torn bytes to discard (0: nothing but zeros follows)
     */
    private long classify(long position, long expectedLsn, String damage, boolean last, long knownDurable) {
        long lastNonZero = lastNonZero(position);
        if (lastNonZero < position) {
            return 0;
        }
        String what = "record " + expectedLsn + " at offset " + position + " (" + damage + ")";
        if (!last) {
            throw new StoreFormatException(path, "journal segment is damaged at " + what + ", but it is not the "
                    + "last segment, so everything in it had been made durable. Refusing to open; restore the store "
                    + "from a backup. Nothing was changed.");
        }
        if (expectedLsn <= knownDurable) {
            throw new StoreFormatException(path, "journal is damaged at " + what + ", but the index has applied "
                    + "records up to " + knownDurable + ", so that record had been made durable. Refusing to open. "
                    + "Nothing was changed.");
        }
        long extent = lastNonZero + 1 - position;
        long declared = -1;
        if (size - position >= Frame.HEADER) {
            byte[] h = bytes(position, Frame.HEADER);
            int at = offsetIn(position);
            if (Frame.getLong(h, at + 12) == expectedLsn) {
                declared = Frame.getInt(h, at) + (long) Frame.HEADER;
            }
        }
        if (extent <= Math.max(MAX_GROUP, declared) + (long) Frame.HEADER) {
            findProofOfDurability(position, lastNonZero, expectedLsn, what);
            return extent;
        }
        findProofOfDurability(position, Math.min(lastNonZero, position + (64L << 20)), expectedLsn, what);
        throw new StoreFormatException(path, "journal is unreadable from " + what + " to offset " + lastNonZero
                + " (" + extent + " bytes): more than a write cut off by a crash could have left. Refusing to open. "
                + "Nothing was changed.");
    }

    /** Refuses when an intact frame after the damage shows the damaged record had been made durable. */
    private void findProofOfDurability(long position, long lastNonZero, long expectedLsn, String what) {
        for (long q = position + 1; q + Frame.HEADER <= lastNonZero + 1; q++) {
            byte[] h = bytes(q, Frame.HEADER);
            int at = offsetIn(q);
            long lsn = Frame.getLong(h, at + 12);
            if (lsn < expectedLsn || lsn > expectedLsn + LSN_WINDOW) {
                continue;
            }
            int length = Frame.getInt(h, at);
            int count = Frame.getInt(h, at + 20);
            if (length < 1 || length > size - q - Frame.HEADER || count < 1) {
                continue;
            }
            byte[] f = bytes(q, Frame.HEADER + length);
            int fa = offsetIn(q);
            if (Frame.checksum(f, fa, length) != Frame.getInt(f, fa + 4)) {
                continue;
            }
            long durable = Frame.getLong(f, fa + 24);
            if (durable >= expectedLsn) {
                throw new StoreFormatException(path, "journal is damaged at " + what + ", but the intact record "
                        + lsn + " at offset " + q + " was written after records up to " + durable + " had been made "
                        + "durable: the damaged write had been acknowledged. Refusing to open. Nothing was changed.");
            }
        }
    }

    private long lastNonZero(long from) {
        long end = size;
        while (end > from) {
            long start = Math.max(from, end - CHUNK);
            byte[] b = bytes(start, (int) (end - start));
            int at = offsetIn(start);
            for (int i = (int) (end - start) - 1; i >= 0; i--) {
                if (b[at + i] != 0) {
                    return start + i;
                }
            }
            end = start;
        }
        return from - 1;
    }

    private static boolean allZero(byte[] b, int at, int n) {
        for (int i = 0; i < n; i++) {
            if (b[at + i] != 0) {
                return false;
            }
        }
        return true;
    }

    // ---- reading through a window of the file ----

    /** Makes {@code [position, position + length)} available; returns the array, see {@link #offsetIn}. */
    private byte[] bytes(long position, int length) {
        if (position >= chunkStart && position + length <= chunkStart + chunkLength) {
            return chunk;
        }
        int want = (int) Math.min(Math.max(length, CHUNK), size - position);
        if (chunk.length < want) {
            chunk = new byte[want];
        }
        try {
            file.seek(position);
            file.readFully(chunk, 0, want);
        } catch (IOException e) {
            throw IoFailures.storage("Cannot read journal segment", path, e);
        }
        chunkStart = position;
        chunkLength = want;
        return chunk;
    }

    private int offsetIn(long position) {
        return (int) (position - chunkStart);
    }
}
