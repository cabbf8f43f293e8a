package dev.agnomemory.core.storage.mapdb;

import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The records of one call, as one frame of the journal: all of them survive a crash, or none does.
 *
 * <p>Layout: a {@value #HEADER}-byte header, then the payload, each record as its length (a compact number) and
 * its bytes. The header (big-endian): payload length (int, greater than 0; 0 marks the end of the written part of
 * a segment), CRC32C (int), the previous frame's CRC32C (int; the segment's salt for its first frame), the number of
 * the first record (long), the number of records (int), and the number of the last record known to be on disk when
 * this frame was written (long, the <em>durable mark</em>). The CRC covers every other byte of the frame, including
 * the previous frame's CRC, so frames form a chain: each can be checked on its own, and whether it follows its
 * predecessor can be checked too.
 *
 * <p>The durable mark is what lets an open tell a torn write from damage: writes after a crash can reach the disk
 * out of order, but a frame whose mark is at or past a damaged record proves that record had been made durable, and
 * so acknowledged, before the damage.
 */
final class Frame {

    static final int HEADER = 32;
    /** A frame longer than this cannot have been written by this code; its length field is damaged. */
    static final int MAX_PAYLOAD = 1 << 30;

    private final byte[] payload;
    private final long firstLsn;
    private final int count;
    private final List<RecordRef> refs;
    /** Set by the log writer once the frame has a place; read by others after its write completed. */
    private volatile long segment = -1;
    private volatile long offset = -1;
    private volatile int crc;

    private Frame(byte[] payload, long firstLsn, int count, List<RecordRef> refs) {
        this.payload = payload;
        this.firstLsn = firstLsn;
        this.count = count;
        this.refs = refs;
    }

    /** Encodes the records, numbered from {@code firstLsn}. */
    static Frame encode(List<JournalRecord> records, long firstLsn) {
        BinaryOut out = new BinaryOut(256);
        BinaryOut one = new BinaryOut(256);
        List<int[]> spans = new ArrayList<>(records.size());
        for (JournalRecord r : records) {
            one.reset();
            JournalRecord.writeRecord(one, r);
            out.writeVarInt(one.size());
            spans.add(new int[] {out.size(), one.size()});
            out.writeRaw(one.array(), 0, one.size());
        }
        if (out.size() > MAX_PAYLOAD) {
            throw new IllegalArgumentException("write too large to store: " + out.size() + " bytes");
        }
        byte[] payload = out.toByteArray();
        Frame frame = new Frame(payload, firstLsn, records.size(), new ArrayList<>(records.size()));
        CRC32C crc = new CRC32C();
        for (int[] span : spans) {
            crc.reset();
            crc.update(payload, span[0], span[1]);
            frame.refs.add(frame.new Pending(span[0], span[1], (int) crc.getValue()));
        }
        return frame;
    }

    /** @return the place of each record, in order */
    List<RecordRef> refs() {
        return refs;
    }

    long firstLsn() {
        return firstLsn;
    }

    long lastLsn() {
        return firstLsn + count - 1;
    }

    int count() {
        return count;
    }

    int size() {
        return HEADER + payload.length;
    }

    void placedAt(long segmentNumber, long frameOffset, int frameCrc) {
        this.offset = frameOffset;
        this.crc = frameCrc;
        this.segment = segmentNumber;
    }

    /** @return the frame's CRC, once it is placed */
    int crc() {
        return crc;
    }

    long segment() {
        return segment;
    }

    long offset() {
        return offset;
    }

    /**
     * Writes the frame into {@code buffer} at {@code at}.
     *
     * @return the frame's CRC, the next frame's previous CRC
     */
    int writeTo(byte[] buffer, int at, int previousCrc, long durableLsn) {
        putInt(buffer, at, payload.length);
        putInt(buffer, at + 8, previousCrc);
        putLong(buffer, at + 12, firstLsn);
        putInt(buffer, at + 20, count);
        putLong(buffer, at + 24, durableLsn);
        System.arraycopy(payload, 0, buffer, at + HEADER, payload.length);
        int crc = checksum(buffer, at, payload.length);
        putInt(buffer, at + 4, crc);
        return crc;
    }

    /** The CRC of the frame at {@code at} in {@code bytes}, whose payload is {@code length} bytes. */
    static int checksum(byte[] bytes, int at, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, at, 4);
        crc.update(bytes, at + 8, HEADER - 8 + length);
        return (int) crc.getValue();
    }

    static int getInt(byte[] b, int at) {
        return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }

    static long getLong(byte[] b, int at) {
        return ((long) getInt(b, at) << 32) | (getInt(b, at + 4) & 0xFFFFFFFFL);
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    static void putLong(byte[] b, int at, long v) {
        putInt(b, at, (int) (v >>> 32));
        putInt(b, at + 4, (int) v);
    }

    /** A record of this frame; its place is known once the frame is. */
    private final class Pending implements RecordRef {
        private final int offsetInPayload;
        private final int length;
        private final int crc;

        Pending(int offsetInPayload, int length, int crc) {
            this.offsetInPayload = offsetInPayload;
            this.length = length;
            this.crc = crc;
        }

        @Override
        public Pointer pointer() {
            long s = segment;
            if (s < 0) {
                throw new IllegalStateException("the frame of this record was not written yet");
            }
            return new Pointer(s, offset + HEADER + offsetInPayload, length, crc);
        }

        @Override
        public int length() {
            return length;
        }

        @Override
        public long segment() {
            return segment;
        }
    }
}
