package dev.agnomemory.core.storage.mapdb;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Writes a snapshot segment (a compacted or migrated journal) into a temporary file, in frames of many records,
 * forcing it to disk as it goes; {@link #commit} renames it into place, replacing every segment with a lower
 * number. Runs on the store's own threads.
 */
final class SnapshotWriter implements Closeable {

    private static final int FRAME_TARGET = 256 * 1024;
    /**
     * Forces the file every this many bytes, so no flush of the journal's writer has to wait for more than this (the
     * disk flushes its whole cache); see {@link BufferedRandomAccessFileVol#WRITE_BACK_BYTES}.
     */
    private static final long SYNC_EVERY = BufferedRandomAccessFileVol.WRITE_BACK_BYTES;

    private final Path target;
    private final Path tmp;
    private final SegmentHeader header;
    private final FileChannel channel;
    private final BinaryOut payload = new BinaryOut(FRAME_TARGET + 4096);
    private final BinaryOut one = new BinaryOut(4096);
    private byte[] frame = new byte[0];
    private long position = SegmentHeader.SIZE;
    private long unsynced;
    private int lastCrc;
    private long lsn = 1;
    private int count;
    private long records;
    private boolean committed;

    SnapshotWriter(Path target, SegmentHeader header) {
        this.target = target;
        this.tmp = StoreFiles.temp(target);
        this.header = header;
        this.lastCrc = header.salt();
        try {
            Files.deleteIfExists(tmp);
            this.channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Segment.writeFully(channel, ByteBuffer.wrap(header.encode()), 0);
        } catch (IOException e) {
            throw IoFailures.storage("Cannot create journal segment", tmp, e);
        }
    }

    /** Adds a record; returns where it will be in the segment. */
    Pointer add(JournalRecord record) {
        one.reset();
        JournalRecord.writeRecord(one, record);
        payload.writeVarInt(one.size());
        int offsetInPayload = payload.size();
        payload.writeRaw(one.array(), 0, one.size());
        CRC32C crc = new CRC32C();
        crc.update(one.array(), 0, one.size());
        count++;
        records++;
        Pointer p = new Pointer(header.number(), position + Frame.HEADER + offsetInPayload, one.size(),
                (int) crc.getValue());
        if (payload.size() >= FRAME_TARGET) {
            flushFrame();
        }
        return p;
    }

    long records() {
        return records;
    }

    private void flushFrame() {
        if (count == 0) {
            return;
        }
        int length = payload.size();
        int size = Frame.HEADER + length;
        if (frame.length < size) {
            frame = new byte[size];
        }
        Frame.putInt(frame, 0, length);
        Frame.putInt(frame, 8, lastCrc);
        Frame.putLong(frame, 12, lsn);
        Frame.putInt(frame, 20, count);
        Frame.putLong(frame, 24, 0);
        System.arraycopy(payload.array(), 0, frame, Frame.HEADER, length);
        int crc = Frame.checksum(frame, 0, length);
        Frame.putInt(frame, 4, crc);
        try {
            Segment.writeFully(channel, ByteBuffer.wrap(frame, 0, size), position);
            unsynced += size;
            if (unsynced >= SYNC_EVERY) {
                channel.force(false);
                unsynced = 0;
            }
        } catch (IOException e) {
            throw IoFailures.storage("Cannot write journal segment", tmp, e);
        }
        position += size;
        lastCrc = crc;
        lsn += count;
        count = 0;
        payload.reset();
        if (frame.length > (4 << 20)) {
            frame = new byte[0];
        }
    }

    /** Writes what is left and forces the file to disk; it is still under its temporary name. */
    void finish() {
        flushFrame();
        try {
            channel.force(true);
            channel.close();
        } catch (IOException e) {
            throw IoFailures.storage("Cannot write journal segment", tmp, e);
        }
    }

    /** The commit point: renames the finished file over the segment with its number. */
    void commit() {
        try {
            StoreFiles.replace(tmp, target);
            committed = true;
        } catch (IOException e) {
            throw IoFailures.storage("Cannot move the compacted journal segment into place at", target, e);
        }
    }

    /** Deletes the temporary file unless it was committed. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // being discarded
        }
        if (!committed) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                // a leftover, deleted at the next open
            }
        }
    }
}
