package dev.agnomemory.examples.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/**
 * The physical limit: append a record of the size agno-memory journals per durable write to a growing file and
 * force it to disk, one record at a time, in two ways:
 * <ul>
 *   <li>{@code RandomAccessFile.write} + {@code getFD().sync()} (fsync): exactly what agno-memory's journal does;</li>
 *   <li>{@code FileChannel.write} + {@code force(false)} (fdatasync).</li>
 * </ul>
 */
final class PlainFsyncLoop implements AutoCloseable {

    private final RandomAccessFile raf;
    private final FileChannel channel;
    private final byte[] record;
    private long rafEnd;
    private long channelEnd;

    PlainFsyncLoop(Path dir, int recordBytes) {
        record = new byte[recordBytes];
        new Random(7).nextBytes(record);
        try {
            raf = new RandomAccessFile(dir.resolve("plain-raf.bin").toFile(), "rw");
            channel = FileChannel.open(dir.resolve("plain-channel.bin"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return nanoseconds for {@code count} appends, each followed by RandomAccessFile fsync */
    long rafSync(int count) {
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                raf.seek(rafEnd);
                raf.write(record);
                rafEnd += record.length;
                raf.getFD().sync();
            }
            return System.nanoTime() - t0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return nanoseconds for {@code count} appends, each followed by FileChannel.force(false) */
    long channelForce(int count) {
        try {
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                ByteBuffer b = ByteBuffer.wrap(record);
                while (b.hasRemaining()) {
                    channelEnd += channel.write(b, channelEnd);
                }
                channel.force(false);
            }
            return System.nanoTime() - t0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            raf.close();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
