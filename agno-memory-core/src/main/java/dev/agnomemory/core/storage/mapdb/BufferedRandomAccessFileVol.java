package dev.agnomemory.core.storage.mapdb;

import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.util.Arrays;
import java.util.Objects;
import org.mapdb.CC;
import org.mapdb.DBException;
import org.mapdb.DataInput2;
import org.mapdb.volume.RandomAccessFileVol;
import org.mapdb.volume.Volume;
import org.mapdb.volume.VolumeFactory;

/**
 * MapDB 3.1's {@link RandomAccessFileVol} with one read or write system call per value instead of one per byte.
 *
 * <p>Like {@code RandomAccessFileVol}, and unlike MapDB's {@code FileChannelVol}, its I/O is not interruptible: a
 * {@code FileChannel} closes itself for good when a thread using it is interrupted, which would take the store down
 * because some caller's thread was interrupted. {@code RandomAccessFileVol} reads a long as a seek and 8 one-byte
 * reads (its {@code readLong} and friends go byte by byte); this volume writes a value with one {@code write}, and
 * skips the seek when the file pointer is already there.
 *
 * <p>Reads go through a small cache of {@value #BLOCKS} blocks of {@value #BLOCK} bytes (a block in a slot chosen
 * by its offset): a read that misses reads the whole block (one seek, one {@code read}), later reads in it are
 * served from memory. A write puts its bytes into the cached blocks it falls in (MapDB writes a record to its log
 * and reads it back soon after: a put, then a get of the same node), a cut of the file drops the blocks it cuts, and a
 * {@code clear}, a failed write or a close empties the cache. MapDB re-reads a B-tree's upper nodes on every lookup,
 * and reads a log record as two packed longs and the data behind them, mostly twice in a row. The file's length is
 * kept the same way, so MapDB's {@code ensureAvailable} before each log write costs no {@code stat}. This assumes
 * nothing else writes the file while the volume is open, which holds for MapDB's files (the store locks its main
 * file, and its log files are its own); a read-only volume, whose file someone else may be writing, reads its blocks
 * and its length again on every call. A read that crosses a block boundary, or is larger than a block, reads the
 * file directly (a checksummed file: block by block).
 *
 * <p>Everything else mirrors {@code RandomAccessFileVol} (MapDB 3.1.0): the file lock ({@code fileLockWait}), read-only
 * mode, {@code initSize}, big-endian values, an {@code EOFException} (wrapped in {@link DBException.VolumeIOError})
 * for a read past the end of the file, {@code sync} as {@code fsync} of the file descriptor, and {@code synchronized}
 * methods (one file pointer and one cache per volume). Not MapDB's debugging aid that prints a stack trace to
 * standard error on a write at {@code CC.VOLUME_PRINT_STACK_AT_OFFSET} (a library does not print).
 */
final class BufferedRandomAccessFileVol extends Volume {

    /** Volumes without page checksums (MapDB's {@code .wal.N} log files, and the tests comparing with MapDB's). */
    static final VolumeFactory FACTORY = factory(false);

    /**
     * The store's factory: like {@link #FACTORY}, but the main file of an index (not MapDB's {@code .wal.N} log
     * files) keeps {@link PageSums page checksums}, checked as each block is read from the file.
     */
    static final VolumeFactory CHECKSUMMED = factory(true);

    private static VolumeFactory factory(boolean checksummed) {
        return new VolumeFactory() {
            @Override
            public Volume makeVolume(String file, boolean readOnly, long fileLockWait, int sliceShift, long initSize,
                    boolean fixedSize) {
                boolean log = file.matches(".*\\.wal\\.\\d+$");
                return new BufferedRandomAccessFileVol(new File(file), readOnly, fileLockWait, initSize,
                        checksummed && !log);
            }

            @Override
            public boolean exists(String file) {
                return new File(file).exists();
            }

            @Override
            public boolean handlesReadonly() {
                return true;
            }
        };
    }

    /** The size of a cached block; blocks start at multiples of it. */
    static final int BLOCK = 4096;

    /** How many blocks are cached (a power of two), in slots chosen by the block's offset. */
    static final int BLOCKS = 16;

    private static final int BLOCK_SHIFT = Integer.numberOfTrailingZeros(BLOCK);

    /** Zeros for {@link #clear}; larger than {@code Volume.CLEAR} (1 KiB), so fewer writes. */
    private static final byte[] ZEROS = new byte[16 * 1024];

    /** Bytes written between two flushes of the file at most; see {@link #writtenBack}. */
    static final long WRITE_BACK_BYTES = 1 << 20;

    /** Bytes written since the file was last forced; guarded by {@code this}. */
    private long unsynced;

    /** Marks {@link #pointer} unknown: the next access seeks. */
    private static final long UNKNOWN = -1;

    /**
     * The file's length as this volume last set or saw it, or {@link #UNKNOWN}: MapDB asks for it before every
     * write to its log ({@code ensureAvailable}), and a {@code stat} each time cost a system call per put. Only a
     * writable volume keeps it (nobody else writes its file); an access that fails forgets it. Guarded by
     * {@code this}.
     */
    private long knownLength = UNKNOWN;

    private final File file;
    private final RandomAccessFile raf;
    private final FileLock fileLock;
    private final boolean readOnly;
    /** The page checksums, or null when this file has none. Guarded by {@code this}. */
    private final PageSums sums;

    /** Scratch buffer for a value to write, or read across a block boundary; guarded by {@code this}. */
    private final byte[] buf = new byte[16];

    /**
     * Where the file pointer of {@link #raf} is, as far as this volume knows, or {@link #UNKNOWN}. Only valid after
     * an access that completed without an exception: an access sets it to {@code UNKNOWN} before doing I/O.
     */
    private long pointer = UNKNOWN;

    /**
     * The cache, guarded by {@code this}: slot {@code i} holds the file's bytes from {@code blockStart[i]} to
     * {@code blockStart[i] + blockLength[i]} (shorter than a block at the end of the file), as read since the last
     * change through this volume, or nothing when {@code blockStart[i]} is -1. Blocks are allocated when first used.
     */
    private final byte[][] blocks = new byte[BLOCKS][];
    private final long[] blockStart = new long[BLOCKS];
    private final int[] blockLength = new int[BLOCKS];
    private boolean cached;

    {
        Arrays.fill(blockStart, -1);
    }

    /** Where {@link #locate} found the bytes: a block, or {@link #buf}. */
    private byte[] located;

    BufferedRandomAccessFileVol(File file, boolean readOnly, long fileLockWait, long initSize, boolean checksummed) {
        this.file = file;
        this.readOnly = readOnly;
        this.sums = checksummed ? PageSums.load(file.toPath(), BLOCK) : null;
        try {
            this.raf = new RandomAccessFile(file, readOnly ? "r" : "rw");
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
        try {
            this.fileLock = lockFile(file, raf.getChannel(), readOnly, fileLockWait);

            // grow the file if needed
            if (initSize != 0 && !readOnly) {
                long oldLen = raf.length();
                if (initSize > raf.length()) {
                    setLength(initSize);
                    clear(oldLen, initSize);
                }
            }
        } catch (IOException | RuntimeException e) {
            // a volume that failed to open is not returned, so nobody else could close its file (a full disk)
            try {
                raf.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e instanceof RuntimeException r ? r : new DBException.VolumeIOError((IOException) e);
        }
    }

    /** {@code Volume.lockFile} of MapDB 3.1.0, which is package-private. */
    private static FileLock lockFile(File file, FileChannel channel, boolean readOnly, long fileLockWait) {
        if (fileLockWait < 0 || readOnly) {
            return null;
        }
        while (true) {
            try {
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    return lock;
                }
            } catch (OverlappingFileLockException e) {
                if (fileLockWait <= 0) {
                    throw new DBException.FileLocked(file.toPath(), e);
                }
            } catch (IOException e) {
                throw new DBException.VolumeIOError(e);
            }

            if (fileLockWait <= 0) {
                throw new DBException.FileLocked(file.toPath(), null);
            }

            // wait until the file becomes unlocked
            try {
                Thread.sleep(100);
            } catch (InterruptedException e1) {
                throw new DBException.Interrupted(e1);
            }
            fileLockWait -= 100;
        }
    }

    // ---- file pointer ----

    /**
     * Moves the file pointer to {@code offset} (no system call when it is already there) and marks it unknown until
     * the caller's access completes and calls {@link #at}. A negative offset always reaches {@code raf.seek}, which
     * throws as {@code RandomAccessFileVol} does.
     */
    private void seek(long offset) throws IOException {
        if (offset < 0 || offset != pointer) {
            pointer = UNKNOWN;
            raf.seek(offset);
        }
        pointer = UNKNOWN;
    }

    /** Records where the file pointer is after an access that completed. */
    private void at(long offset) {
        pointer = offset;
    }

    /** The {@code IOException} {@code raf.seek} throws for a negative offset, before anything else happens. */
    private void checkOffset(long offset) throws IOException {
        if (offset < 0) {
            seek(offset);
        }
    }

    // ---- reads: the cache ----

    /**
     * Finds the {@code size} bytes at {@code offset} (1 &lt;= size &lt;= {@code buf.length}): in their cached block,
     * reading the block when it is not cached (or always, for a read-only volume), or, when they cross a block
     * boundary, read straight into {@link #buf}.
     *
     * @return their index in {@link #located}
     * @throws EOFException when the file ends before {@code offset + size}, as {@code readFully}
     */
    private int locate(long offset, int size) throws IOException {
        checkOffset(offset);
        int index = (int) (offset & (BLOCK - 1));
        if (size > BLOCK - index) {
            if (sums != null) {
                read(offset, buf, 0, size);
            } else {
                seek(offset);
                raf.readFully(buf, 0, size);
                at(offset + size);
            }
            located = buf;
            return 0;
        }
        located = blocks[block(offset, index + size)];
        return index;
    }

    /**
     * Makes sure the block of {@code offset} (not negative) is cached with at least {@code needed} bytes, counted
     * from the block's start, reading it when it is not.
     *
     * @return its slot
     * @throws EOFException when the file ends before the block's start + {@code needed}
     */
    private int block(long offset, int needed) throws IOException {
        long start = offset & -BLOCK;
        int slot = (int) (offset >>> BLOCK_SHIFT) & (BLOCKS - 1);
        if (!readOnly && blockStart[slot] == start && needed <= blockLength[slot]) {
            return slot;
        }
        blockStart[slot] = -1;
        byte[] b = blocks[slot];
        if (b == null) {
            b = new byte[BLOCK];
            blocks[slot] = b;
        }
        seek(start);
        int n = 0;
        int want = sums == null ? needed : BLOCK;
        while (n < want) {
            int r = raf.read(b, n, BLOCK - n);
            if (r < 0) {
                if (n < needed) {
                    throw new EOFException();
                }
                break;
            }
            n += r;
        }
        at(start + n);
        if (sums != null) {
            sums.verify(file.toPath(), start, b, n);
        }
        blockStart[slot] = start;
        blockLength[slot] = n;
        cached = true;
        return slot;
    }

    /** Called first by everything that changes the file: the cache no longer holds its bytes. */
    private void changing() {
        if (cached) {
            Arrays.fill(blockStart, -1);
            cached = false;
        }
    }

    /** Writes the first {@code size} bytes of {@link #buf} at {@code offset}. */
    private void writeValue(long offset, int size) throws IOException {
        write(offset, buf, 0, size);
    }

    /**
     * Writes {@code size} bytes of {@code src} at {@code offset}, and puts them into the cached blocks they fall in
     * (MapDB reads back what it just wrote to its log: a put, then a get of the same record). A write that fails
     * empties the cache and forgets the length: what reached the file is not known.
     */
    private void write(long offset, byte[] src, int srcPos, int size) throws IOException {
        written(offset, offset + size);
        boolean done = false;
        long length = knownLength;
        knownLength = UNKNOWN;
        try {
            seek(offset);
            raf.write(src, srcPos, size);
            at(offset + size);
            done = true;
        } finally {
            if (done) {
                writeThrough(offset, src, srcPos, size);
                // writing nothing past the end does not extend the file
                knownLength = length == UNKNOWN || size <= 0 ? length : Math.max(length, offset + size);
            } else {
                changing();
            }
        }
        writtenBack(size);
    }

    /**
     * Updates the cached blocks a write fell in. A cached block holds bytes from its start on without a gap; one
     * that the write reaches only past its cached bytes is dropped (the bytes between are not known here).
     */
    private void writeThrough(long offset, byte[] src, int srcPos, int size) {
        if (!cached || size <= 0) {
            return;
        }
        long end = offset + size;
        for (int slot = 0; slot < BLOCKS; slot++) {
            long start = blockStart[slot];
            if (start < 0 || end <= start || offset >= start + BLOCK) {
                continue;
            }
            if (offset > start + blockLength[slot]) {
                blockStart[slot] = -1;
                continue;
            }
            long from = Math.max(offset, start);
            long to = Math.min(end, start + BLOCK);
            System.arraycopy(src, srcPos + (int) (from - offset), blocks[slot], (int) (from - start),
                    (int) (to - from));
            blockLength[slot] = (int) Math.max(blockLength[slot], to - start);
        }
    }

    /** The file's length; see {@link #knownLength}. */
    private long fileLength() throws IOException {
        if (readOnly) {
            return raf.length();
        }
        if (knownLength == UNKNOWN) {
            knownLength = raf.length();
        }
        return knownLength;
    }

    // ---- size ----

    /**
     * {@code raf.setLength}, which keeps the file pointer unless it lies beyond the new end (then it moves to the
     * end: {@link RandomAccessFile#setLength}).
     */
    private void setLength(long length) throws IOException {
        long old = fileLength();
        if (length < old) {
            // growing keeps every cached byte (blocks end at the end of the file); a cut drops what it cuts
            dropFrom(length);
        }
        written(Math.min(old, length) - 1, Math.max(old, length));
        long before = pointer;
        pointer = UNKNOWN;
        knownLength = UNKNOWN;
        raf.setLength(length);
        knownLength = length;
        if (before <= length) {
            pointer = before;
        }
    }

    /** Drops the cached blocks holding bytes at or after {@code offset}. */
    private void dropFrom(long offset) {
        for (int slot = 0; slot < BLOCKS; slot++) {
            if (blockStart[slot] >= 0 && blockStart[slot] + blockLength[slot] > offset) {
                blockStart[slot] = -1;
            }
        }
    }

    @Override
    public synchronized void ensureAvailable(long offset) {
        try {
            if (fileLength() < offset) {
                setLength(offset);
            }
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized void truncate(long size) {
        try {
            setLength(size);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized long length() {
        try {
            return fileLength();
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized void clear(long startOffset, long endOffset) {
        try {
            changing();
            knownLength = UNKNOWN;
            written(startOffset, endOffset);
            seek(startOffset);
            long offset = startOffset;
            while (offset < endOffset) {
                int n = (int) Math.min(ZEROS.length, endOffset - offset);
                raf.write(ZEROS, 0, n);
                offset += n;
            }
            at(Math.max(startOffset, endOffset));
            writtenBack(Math.max(0, endOffset - startOffset));
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized void sync() {
        try {
            unsynced = 0;
            raf.getFD().sync();
            if (sums != null && !readOnly) {
                // the sums are computed from the pages read back through this file pointer
                pointer = UNKNOWN;
                sums.sync(raf);
            }
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    /**
     * Forces the file after every {@value #WRITE_BACK_BYTES} bytes written: a checkpoint, compaction or rebuild
     * writes many megabytes, and if they all reached the disk in one flush at commit, the journal's
     * {@code fdatasync} running at the same time (the disk flushes its whole cache) would wait for all of them. Small
     * flushes as the work goes bound that wait, and pace the background work to what the disk absorbs. An extra
     * flush changes nothing about what a crash can leave (the kernel may write any dirty page at any time).
     */
    private void writtenBack(long bytes) throws IOException {
        if (readOnly) {
            return;
        }
        unsynced += bytes;
        if (unsynced >= WRITE_BACK_BYTES) {
            unsynced = 0;
            raf.getFD().sync();
        }
    }

    private void written(long from, long to) {
        if (sums != null) {
            sums.written(Math.max(0, from), to);
        }
    }

    // ---- writes ----

    @Override
    public synchronized void putLong(long offset, long value) {
        try {
            buf[0] = (byte) (value >>> 56);
            buf[1] = (byte) (value >>> 48);
            buf[2] = (byte) (value >>> 40);
            buf[3] = (byte) (value >>> 32);
            buf[4] = (byte) (value >>> 24);
            buf[5] = (byte) (value >>> 16);
            buf[6] = (byte) (value >>> 8);
            buf[7] = (byte) value;
            writeValue(offset, 8);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized void putInt(long offset, int value) {
        try {
            buf[0] = (byte) (value >>> 24);
            buf[1] = (byte) (value >>> 16);
            buf[2] = (byte) (value >>> 8);
            buf[3] = (byte) value;
            writeValue(offset, 4);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized void putByte(long offset, byte value) {
        try {
            buf[0] = value;
            writeValue(offset, 1);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized void putData(long offset, byte[] src, int srcPos, int srcSize) {
        try {
            write(offset, src, srcPos, srcSize);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    /**
     * Writes the buffer's remaining bytes, leaving its position alone, as {@code RandomAccessFileVol} does for the
     * heap buffers MapDB passes. (It ignores {@code arrayOffset()} and throws for a direct buffer; this one honours
     * the offset and copies a direct buffer's bytes.)
     */
    @Override
    public synchronized void putData(long offset, ByteBuffer buf) {
        int pos = buf.position();
        int size = buf.limit() - pos;
        if (buf.hasArray()) {
            putData(offset, buf.array(), buf.arrayOffset() + pos, size);
        } else {
            byte[] bytes = new byte[size];
            buf.duplicate().get(bytes);
            putData(offset, bytes, 0, size);
        }
    }

    @Override
    public synchronized void putUnsignedShort(long offset, int value) {
        try {
            buf[0] = (byte) (value >> 8);
            buf[1] = (byte) value;
            writeValue(offset, 2);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized void putSixLong(long pos, long value) {
        if (CC.ASSERT && (value >>> 48 != 0)) {
            throw new DBException.DataCorruption("six long out of range");
        }
        try {
            buf[0] = (byte) (value >>> 40);
            buf[1] = (byte) (value >>> 32);
            buf[2] = (byte) (value >>> 24);
            buf[3] = (byte) (value >>> 16);
            buf[4] = (byte) (value >>> 8);
            buf[5] = (byte) value;
            writeValue(pos, 6);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    /** The encoding of {@code RandomAccessFileVol.putPackedLong} (7 bits per byte, high first, last byte | 0x80). */
    @Override
    public synchronized int putPackedLong(long pos, long value) {
        try {
            int ret = 0;
            int shift = 63 - Long.numberOfLeadingZeros(value);
            shift -= shift % 7; // round down to the nearest multiple of 7
            while (shift != 0) {
                buf[ret++] = (byte) ((value >>> shift) & 0x7F);
                shift -= 7;
            }
            buf[ret++] = (byte) ((value & 0x7F) | 0x80);
            writeValue(pos, ret);
            return ret;
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    // ---- reads ----

    @Override
    public synchronized long getLong(long offset) {
        try {
            int i = locate(offset, 8);
            byte[] w = located;
            return ((long) (w[i] & 0xFF) << 56) | ((long) (w[i + 1] & 0xFF) << 48) | ((long) (w[i + 2] & 0xFF) << 40)
                    | ((long) (w[i + 3] & 0xFF) << 32) | ((long) (w[i + 4] & 0xFF) << 24)
                    | ((long) (w[i + 5] & 0xFF) << 16) | ((long) (w[i + 6] & 0xFF) << 8) | (long) (w[i + 7] & 0xFF);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized int getInt(long offset) {
        try {
            int i = locate(offset, 4);
            byte[] w = located;
            return ((w[i] & 0xFF) << 24) | ((w[i + 1] & 0xFF) << 16) | ((w[i + 2] & 0xFF) << 8) | (w[i + 3] & 0xFF);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized byte getByte(long offset) {
        try {
            int i = locate(offset, 1);
            return located[i];
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized int getUnsignedShort(long offset) {
        try {
            int i = locate(offset, 2);
            return ((located[i] & 0xFF) << 8) | (located[i + 1] & 0xFF);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized long getSixLong(long offset) {
        try {
            int i = locate(offset, 6);
            byte[] w = located;
            return ((long) (w[i] & 0xFF) << 40) | ((long) (w[i + 1] & 0xFF) << 32) | ((long) (w[i + 2] & 0xFF) << 24)
                    | ((long) (w[i + 3] & 0xFF) << 16) | ((long) (w[i + 4] & 0xFF) << 8) | (long) (w[i + 5] & 0xFF);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    /**
     * The decoding of {@code RandomAccessFileVol.getPackedLong}: bytes until one with the high bit set, the count of
     * bytes in the top 4 bits of the result; EOFException when the file ends first, as reading byte by byte.
     */
    @Override
    public synchronized long getPackedLong(long pos) {
        try {
            long ret = 0;
            long pos2 = 0;
            long at = pos;
            checkOffset(at);
            while (true) {
                // the rest of the block of at, then the next block
                int index = (int) (at & (BLOCK - 1));
                int slot = block(at, index + 1);
                byte[] b = blocks[slot];
                for (int i = index; i < blockLength[slot]; i++) {
                    pos2++;
                    byte v = b[i];
                    ret = (ret << 7) | (v & 0x7F);
                    if ((v & 0x80) != 0) {
                        return (pos2 << 60) | ret;
                    }
                }
                at = blockStart[slot] + blockLength[slot];
            }
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized DataInput2 getDataInput(long offset, int size) {
        try {
            checkOffset(offset);
            byte[] b = new byte[size];
            read(offset, b, 0, size);
            return new DataInput2.ByteArray(b);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    @Override
    public synchronized void getData(long offset, byte[] bytes, int bytesPos, int size) {
        try {
            checkOffset(offset);
            if (size > 0) {
                Objects.checkFromIndexSize(bytesPos, size, bytes.length);
            }
            read(offset, bytes, bytesPos, size);
        } catch (IOException e) {
            throw new DBException.VolumeIOError(e);
        }
    }

    /** {@code readFully} of {@code size} bytes at {@code offset}: from its block, or straight when not in one. */
    private void read(long offset, byte[] bytes, int bytesPos, int size) throws IOException {
        if (size <= 0) {
            // readFully reads nothing, even past the end of the file
            return;
        }
        int index = (int) (offset & (BLOCK - 1));
        if (size <= BLOCK - index) {
            int slot = block(offset, index + size);
            System.arraycopy(blocks[slot], index, bytes, bytesPos, size);
            return;
        }
        if (sums != null) {
            // block by block, so every page read is checked against its sum
            long at = offset;
            int done = 0;
            while (done < size) {
                int i = (int) (at & (BLOCK - 1));
                int n = Math.min(size - done, BLOCK - i);
                int slot = block(at, i + n);
                System.arraycopy(blocks[slot], i, bytes, bytesPos + done, n);
                done += n;
                at += n;
            }
            return;
        }
        seek(offset);
        raf.readFully(bytes, bytesPos, size);
        at(offset + size);
    }

    // ---- the rest ----

    @Override
    public synchronized void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        changing();
        pointer = UNKNOWN;
        // the file is closed whatever fails before (a full disk refusing the page checksums): a second close does
        // nothing, so nobody could close it later
        Exception failure = null;
        try {
            if (sums != null && !readOnly) {
                sums.sync(raf);
            }
        } catch (IOException | RuntimeException e) {
            failure = e;
        }
        try {
            if (fileLock != null && fileLock.isValid()) {
                fileLock.release();
            }
        } catch (IOException e) {
            failure = suppress(failure, e);
        }
        try {
            raf.close();
        } catch (IOException e) {
            failure = suppress(failure, e);
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure != null) {
            throw new DBException.VolumeIOError((IOException) failure);
        }
    }

    private static Exception suppress(Exception first, Exception next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    @Override
    public int sliceSize() {
        return 0;
    }

    @Override
    public boolean isSliced() {
        return false;
    }

    @Override
    public File getFile() {
        return file;
    }

    @Override
    public synchronized boolean getFileLocked() {
        return fileLock != null && fileLock.isValid();
    }

    @Override
    public boolean isReadOnly() {
        return readOnly;
    }
}
