package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mapdb.DBException;
import org.mapdb.DataInput2;
import org.mapdb.volume.FileChannelVol;
import org.mapdb.volume.RandomAccessFileVol;
import org.mapdb.volume.Volume;

/** {@link BufferedRandomAccessFileVol} behaves like MapDB's {@link RandomAccessFileVol}, and ignores interrupts. */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class BufferedRandomAccessFileVolTest {

    @TempDir
    Path dir;

    private final List<Volume> opened = new ArrayList<>();

    @AfterEach
    void closeVolumes() {
        Thread.interrupted();
        opened.forEach(Volume::close);
    }

    private Volume open(Volume v) {
        opened.add(v);
        return v;
    }

    // ---- equivalence ----

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 42, 1234567})
    void behavesLikeRandomAccessFileVol(long seed) throws IOException {
        behavesLike(seed, BufferedRandomAccessFileVol.FACTORY);
    }

    /**
     * With page checksums (the store's volumes): the same behaviour, and afterwards the sums match every page of the
     * file, and a page damaged on disk fails its read.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {7, 8})
    void withPageChecksumsBehavesLikeRandomAccessFileVolAndCatchesDamage(long seed) throws IOException {
        Path actualFile = behavesLike(seed, BufferedRandomAccessFileVol.CHECKSUMMED);
        opened.forEach(Volume::close);
        opened.clear();
        long length = Files.size(actualFile);
        Volume again = open(BufferedRandomAccessFileVol.CHECKSUMMED.makeVolume(actualFile.toString(), false, 0L, 20, 0,
                false));
        byte[] all = new byte[(int) length];
        again.getData(0, all, 0, all.length);
        assertThat(all).isEqualTo(Files.readAllBytes(actualFile));
        again.close();
        opened.clear();
        int at = (int) (length / 2);
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(actualFile.toFile(), "rw")) {
            raf.seek(at);
            raf.write(all[at] ^ 0x40);
        }
        Volume damaged = open(BufferedRandomAccessFileVol.CHECKSUMMED.makeVolume(actualFile.toString(), true, 0L, 20,
                0, false));
        assertThat(damaged.getByte(0)).isEqualTo(all[0]);
        assertThatThrownBy(() -> damaged.getByte(at)).isInstanceOf(DBException.DataCorruption.class)
                .hasMessageContaining("does not match its checksum");
        assertThatThrownBy(() -> damaged.getData(at - 5000, new byte[6000], 0, 6000))
                .isInstanceOf(DBException.DataCorruption.class);
    }

    private Path behavesLike(long seed, org.mapdb.volume.VolumeFactory factory) throws IOException {
        Random random = new Random(seed);
        long initSize = random.nextBoolean() ? 0 : random.nextInt(300);
        Path expectedFile = dir.resolve("expected-" + seed);
        Path actualFile = dir.resolve("actual-" + seed);
        Volume expected = open(RandomAccessFileVol.FACTORY.makeVolume(expectedFile.toString(), false, 0L, 20,
                initSize, false));
        Volume actual = open(factory.makeVolume(actualFile.toString(), false, 0L, 20, initSize, false));
        assertThat(actual.getFileLocked()).isEqualTo(expected.getFileLocked()).isTrue();
        assertThat(actual.isReadOnly()).isFalse();
        assertThat(actual.getFile()).isEqualTo(actualFile.toFile());

        List<String> log = new ArrayList<>();
        int eofs = 0;
        for (int step = 0; step < 12_000; step++) {
            Op op = Op.values()[random.nextInt(Op.values().length)];
            long seedOfStep = random.nextLong();
            Object want = apply(op, expected, new Random(seedOfStep));
            Object got = apply(op, actual, new Random(seedOfStep));
            eofs += want.toString().contains("EOFException") ? 1 : 0;
            log.add(op + " -> " + want);
            if (log.size() > 20) {
                log.remove(0);
            }
            assertThat(got).as("step %d (%s), seed %d; last steps %s", step, op, seed, log).isEqualTo(want);
            if (step % 1000 == 0) {
                assertSameFiles(expectedFile, actualFile);
            }
        }
        assertSameFiles(expectedFile, actualFile);
        assertThat(Files.size(actualFile)).as("the test wrote something").isPositive();
        assertThat(eofs).as("reads past the end").isGreaterThan(100);
        assertThat(Files.size(actualFile)).as("a file larger than the cache").isGreaterThan(
                4L * BufferedRandomAccessFileVol.BLOCKS * BufferedRandomAccessFileVol.BLOCK);
        actual.sync();
        return actualFile;
    }

    /** The random operations; each draws its arguments from the random it gets, so both volumes see the same. */
    private enum Op {
        PUT_LONG, PUT_INT, PUT_BYTE, PUT_UNSIGNED_BYTE, PUT_DATA, PUT_DATA_BUFFER, PUT_DATA_OVERLAP,
        PUT_UNSIGNED_SHORT, PUT_SIX_LONG, PUT_PACKED_LONG, GET_LONG, GET_INT, GET_BYTE, GET_UNSIGNED_BYTE,
        GET_UNSIGNED_SHORT, GET_SIX_LONG, GET_PACKED_LONG, GET_DATA_INPUT, GET_DATA, PACKED_ROUND_TRIP,
        SEQUENTIAL, RESIZE_BETWEEN, READS_NEARBY, WRITE_BETWEEN_READS, ENSURE_AVAILABLE, TRUNCATE, CLEAR,
        CLEAR_OVERLAP, LENGTH, SYNC, HASH, NEGATIVE_OFFSET
    }

    /** @return the operation's result (or its exception, as text) and the volume's length afterwards */
    private static Object apply(Op op, Volume v, Random r) {
        List<Object> out = new ArrayList<>();
        try {
            out.add(run(op, v, r));
        } catch (RuntimeException e) {
            out.add(describe(e));
        }
        out.add("length=" + v.length());
        return out;
    }

    private static String describe(Throwable e) {
        if (e == null) {
            return "";
        }
        return e.getClass().getName() + "(" + e.getMessage() + ")<" + describe(e.getCause()) + ">";
    }

    /** An offset in the file, around its end (across it or past it), or around a boundary of the cached blocks. */
    private static long offset(Volume v, Random r) {
        long length = v.length();
        return switch (r.nextInt(3)) {
            case 0 -> Math.max(0, length - 24 + r.nextInt(40));
            case 1 -> Math.max(0, (long) BufferedRandomAccessFileVol.BLOCK * r.nextInt((int) (length
                    / BufferedRandomAccessFileVol.BLOCK) + 2) - 12 + r.nextInt(16));
            default -> r.nextInt((int) length + 1);
        };
    }

    private static long packable(Random r) {
        return switch (r.nextInt(5)) {
            case 0 -> r.nextInt(128);
            case 1 -> r.nextInt(1 << 20);
            case 2 -> r.nextLong() >>> r.nextInt(64);
            case 3 -> r.nextLong(); // negative: 10 bytes
            default -> (1L << (7 * r.nextInt(10))) - r.nextInt(2); // the byte-count boundaries
        };
    }

    private static Object run(Op op, Volume v, Random r) {
        long off = offset(v, r);
        switch (op) {
            case PUT_LONG -> v.putLong(off, r.nextLong());
            case PUT_INT -> v.putInt(off, r.nextInt());
            case PUT_BYTE -> v.putByte(off, (byte) r.nextInt());
            case PUT_UNSIGNED_BYTE -> v.putUnsignedByte(off, r.nextInt(256));
            case PUT_DATA, PUT_DATA_OVERLAP -> {
                byte[] data = new byte[r.nextInt(100)];
                r.nextBytes(data);
                int pos = data.length == 0 ? 0 : r.nextInt(data.length);
                int size = r.nextInt(data.length - pos + 1);
                if (op == Op.PUT_DATA) {
                    v.putData(off, data, pos, size);
                } else {
                    v.putDataOverlap(off, data, pos, size);
                }
            }
            case PUT_DATA_BUFFER -> {
                byte[] data = new byte[r.nextInt(100) + 1];
                r.nextBytes(data);
                ByteBuffer buf = ByteBuffer.wrap(data);
                buf.position(r.nextInt(data.length));
                v.putData(off, buf);
                return "position=" + buf.position();
            }
            case PUT_UNSIGNED_SHORT -> v.putUnsignedShort(off, r.nextInt(1 << 16));
            case PUT_SIX_LONG -> v.putSixLong(off, r.nextLong() >>> 16);
            case PUT_PACKED_LONG -> {
                return v.putPackedLong(off, packable(r));
            }
            case GET_LONG -> {
                return v.getLong(off);
            }
            case GET_INT -> {
                return v.getInt(off);
            }
            case GET_BYTE -> {
                return v.getByte(off);
            }
            case GET_UNSIGNED_BYTE -> {
                return v.getUnsignedByte(off);
            }
            case GET_UNSIGNED_SHORT -> {
                return v.getUnsignedShort(off);
            }
            case GET_SIX_LONG -> {
                return v.getSixLong(off);
            }
            case GET_PACKED_LONG -> {
                return v.getPackedLong(off);
            }
            case GET_DATA_INPUT -> {
                // small, and now and then around the block size
                int size = r.nextInt(8) == 0 ? BufferedRandomAccessFileVol.BLOCK - 64 + r.nextInt(128)
                        : r.nextInt(64);
                DataInput2 in = v.getDataInput(off, size);
                byte[] b = new byte[size];
                try {
                    in.readFully(b);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
                return Arrays.toString(b);
            }
            case GET_DATA -> {
                byte[] b = new byte[r.nextInt(64) + 8];
                int pos = r.nextInt(8);
                v.getData(off, b, pos, r.nextInt(b.length - pos + 1));
                return Arrays.toString(b);
            }
            case PACKED_ROUND_TRIP -> {
                long value = packable(r);
                int size = v.putPackedLong(off, value);
                long read = v.getPackedLong(off);
                assertThat(read & 0x0FFFFFFFFFFFFFFFL).isEqualTo(value & 0x0FFFFFFFFFFFFFFFL);
                if (value >>> 60 == 0) {
                    // larger values (9 or 10 bytes) spill into the top 4 bits, which MapDB uses for the size
                    assertThat(read >>> 60).isEqualTo(size);
                }
                return size + " " + read;
            }
            case SEQUENTIAL -> {
                // back-to-back accesses, as MapDB's log writes and reads them (the file pointer is already there)
                long at = off;
                v.putUnsignedByte(at, 7);
                v.putLong(at + 1, r.nextLong());
                v.putSixLong(at + 9, r.nextLong() >>> 16);
                int n = v.putPackedLong(at + 15, packable(r));
                v.putInt(at + 15 + n, r.nextInt());
                return List.of(v.getUnsignedByte(at), v.getLong(at + 1), v.getSixLong(at + 9),
                        v.getPackedLong(at + 15), v.getInt(at + 15 + n), v.getByte(at + 19 + n));
            }
            case RESIZE_BETWEEN -> {
                // a resize between two back-to-back accesses: the file pointer may move (truncation below it);
                // at the end of the file, so the file keeps growing
                long end = Math.max(0, v.length() - 24 + r.nextInt(40));
                v.putLong(end, r.nextLong());
                long size = end + 8 + r.nextInt(17) - 8;
                if (r.nextBoolean()) {
                    v.truncate(size);
                } else {
                    v.ensureAvailable(size);
                }
                v.putInt(end + 8, r.nextInt());
                return List.of(v.getLong(end), v.getInt(end + 8));
            }
            case READS_NEARBY -> {
                // reads close to each other, as MapDB reads a log record (the bytes read ahead serve them)
                List<Object> values = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    long at = Math.max(0, off + r.nextInt(80) - 16);
                    try {
                        values.add(switch (r.nextInt(5)) {
                            case 0 -> v.getPackedLong(at);
                            case 1 -> v.getLong(at);
                            case 2 -> v.getUnsignedShort(at);
                            case 3 -> v.getByte(at);
                            default -> {
                                byte[] b = new byte[r.nextInt(40)];
                                v.getData(at, b, 0, b.length);
                                yield Arrays.toString(b);
                            }
                        });
                    } catch (RuntimeException e) {
                        values.add(describe(e));
                    }
                }
                return values;
            }
            case WRITE_BETWEEN_READS -> {
                // a read, a change near it, the same read: the change is seen
                long at = off + r.nextInt(64);
                List<Object> values = new ArrayList<>();
                values.add(describeOrValue(() -> v.getLong(off)));
                switch (r.nextInt(6)) {
                    case 0 -> v.putByte(at, (byte) r.nextInt());
                    case 1 -> v.putLong(at, r.nextLong());
                    case 2 -> v.putPackedLong(at, packable(r));
                    case 3 -> v.putData(at, new byte[] {1, 2, 3}, 0, 3);
                    case 4 -> v.clear(off, at + 1);
                    default -> v.truncate(Math.max(at, v.length() - 64));
                }
                values.add(describeOrValue(() -> v.getLong(off)));
                values.add(describeOrValue(() -> v.getPackedLong(at)));
                values.add(describeOrValue(() -> v.getSixLong(Math.max(0, at - 3))));
                return values;
            }
            case ENSURE_AVAILABLE -> v.ensureAvailable(v.length() + r.nextInt(64) - 32);
            case TRUNCATE -> v.truncate(Math.max(0, v.length() - r.nextInt(64) + 8));
            case CLEAR -> v.clear(off, off + r.nextInt(3000) - 20);
            case CLEAR_OVERLAP -> v.clearOverlap(off, off + r.nextInt(100));
            case LENGTH -> {
                return v.length();
            }
            case SYNC -> {
                if (r.nextInt(20) == 0) {
                    v.sync();
                }
            }
            case HASH -> {
                long from = Math.min(off, v.length());
                return v.hash(from, Math.max(0, v.length() - from - r.nextInt(16)), 7L);
            }
            case NEGATIVE_OFFSET -> {
                long neg = -1 - r.nextInt(10);
                List<Function<Volume, Object>> calls = List.of(vol -> vol.getLong(neg), vol -> {
                    vol.putLong(neg, 1);
                    return null;
                }, vol -> vol.getPackedLong(neg), vol -> vol.getDataInput(neg, 3), vol -> {
                    vol.clear(neg, neg + 5);
                    return null;
                });
                return calls.get(r.nextInt(calls.size())).apply(v);
            }
            default -> throw new AssertionError(op);
        }
        return null;
    }

    private static Object describeOrValue(Supplier<Object> read) {
        try {
            return read.get();
        } catch (RuntimeException e) {
            return describe(e);
        }
    }

    private static void assertSameFiles(Path expected, Path actual) throws IOException {
        byte[] want = Files.readAllBytes(expected);
        byte[] got = Files.readAllBytes(actual);
        assertThat(got.length).isEqualTo(want.length);
        assertThat(Arrays.mismatch(got, want)).as("first differing byte").isEqualTo(-1);
    }

    /**
     * Every read at every offset around the end of the file and around a block boundary, after reads that cached the
     * blocks: the same values, and the same EOF, as {@code RandomAccessFileVol}.
     */
    @Test
    void readsAroundTheEndOfTheFileAndBlockBoundaries() throws IOException {
        int block = BufferedRandomAccessFileVol.BLOCK;
        for (long length : new long[] {100, block, block + 5, 2L * block - 3}) {
            byte[] content = new byte[(int) length];
            new Random(length).nextBytes(content);
            Path file = dir.resolve("edges-" + length);
            Files.write(file, content);
            Volume expected = open(RandomAccessFileVol.FACTORY.makeVolume(file.toString(), true, 0L, 20, 0, false));
            Volume actual = open(BufferedRandomAccessFileVol.FACTORY.makeVolume(file.toString(), false, 0L, 20, 0,
                    false));
            List<Long> offsets = new ArrayList<>();
            for (long o = Math.max(0, length - 20); o <= length + 2; o++) {
                offsets.add(o);
            }
            for (long o = block - 20; o <= block + 2; o++) {
                offsets.add(o);
            }
            for (long off : offsets) {
                for (int read = 0; read < 8; read++) {
                    // cache the blocks around off, then read at off
                    for (long warm : new long[] {off - 1, off - 17, off + 1, 0, length - 1}) {
                        if (warm >= 0 && warm < length) {
                            actual.getByte(warm);
                        }
                    }
                    int r = read;
                    Function<Volume, Object> get = vol -> switch (r) {
                        case 0 -> vol.getLong(off);
                        case 1 -> vol.getInt(off);
                        case 2 -> vol.getByte(off);
                        case 3 -> vol.getUnsignedShort(off);
                        case 4 -> vol.getSixLong(off);
                        case 5 -> vol.getPackedLong(off);
                        case 6 -> {
                            byte[] b = new byte[9];
                            vol.getData(off, b, 0, 9);
                            yield Arrays.toString(b);
                        }
                        default -> vol.hash(off, 3, 5);
                    };
                    assertThat(describeOrValue(() -> get.apply(actual)))
                            .as("read %d at %d of %d bytes", read, off, length)
                            .isEqualTo(describeOrValue(() -> get.apply(expected)));
                }
            }
        }
    }

    /**
     * Data reads of every size that ends just before, at, or just past the end of the block they start in, after
     * the block was cached: they cross into the next block by up to two bytes, and must read both (an off-by-one
     * here once made such a read spin forever on a zero-length read).
     */
    @Test
    void dataReadsEndingAtABlockBoundary() throws IOException {
        int block = BufferedRandomAccessFileVol.BLOCK;
        byte[] content = new byte[3 * block];
        new Random(11).nextBytes(content);
        Path file = dir.resolve("boundary");
        Files.write(file, content);
        Volume expected = open(RandomAccessFileVol.FACTORY.makeVolume(file.toString(), true, 0L, 20, 0, false));
        Volume actual = open(BufferedRandomAccessFileVol.FACTORY.makeVolume(file.toString(), false, 0L, 20, 0, false));
        for (int start : new int[] {0, 1, 7, block / 2, block - 9, block - 2}) {
            for (int overshoot = -2; overshoot <= 2; overshoot++) {
                int size = block - start + overshoot;
                long off = block + start;
                actual.getByte(off);
                byte[] got = new byte[size];
                byte[] want = new byte[size];
                actual.getData(off, got, 0, size);
                expected.getData(off, want, 0, size);
                assertThat(Arrays.mismatch(got, want)).as("%d bytes at %d", size, off).isEqualTo(-1);
            }
        }
    }

    /** Blocks that share a cache slot, read in turns: each read gets its own block's bytes. */
    /**
     * Computing the page checksums at a sync reads the written pages through the volume's file pointer; the next
     * access at the offset where the volume last left that pointer must still seek (it wrote to the end of the last
     * page the sums read, and read it, before this was fixed).
     */
    @Test
    void aSyncOfThePageChecksumsDoesNotLeaveTheFilePointerWhereTheVolumeThinksItIs() throws IOException {
        Path file = dir.resolve("sums");
        Volume v = open(BufferedRandomAccessFileVol.CHECKSUMMED.makeVolume(file.toString(), false, 0L, 20, 0, false));
        v.putLong(BufferedRandomAccessFileVol.BLOCK, 2);
        v.putLong(0, 1);
        v.sync();
        v.putLong(8, 3);
        v.putLong(16, 4);
        assertThat(v.getLong(0)).isEqualTo(1);
        assertThat(v.getLong(8)).isEqualTo(3);
        assertThat(v.getLong(16)).isEqualTo(4);
        assertThat(v.getLong(BufferedRandomAccessFileVol.BLOCK)).isEqualTo(2);
        assertThat(v.length()).isEqualTo(BufferedRandomAccessFileVol.BLOCK + 8);
        v.sync();
        v.close();
        opened.clear();
        Volume again = open(BufferedRandomAccessFileVol.CHECKSUMMED.makeVolume(file.toString(), true, 0L, 20, 0,
                false));
        assertThat(again.getLong(8)).isEqualTo(3);
        assertThat(again.getLong(BufferedRandomAccessFileVol.BLOCK)).isEqualTo(2);
    }

    /**
     * Writes go into the cached blocks they fall in, and a cut drops the cached bytes it cuts: what is read after
     * a write, a cut and a regrowth is what the file holds.
     */
    @ParameterizedTest(name = "checksummed {0}")
    @ValueSource(booleans = {false, true})
    void cachedBlocksFollowWritesCutsAndGrowth(boolean checksummed) throws IOException {
        Path file = dir.resolve("follow-" + checksummed);
        org.mapdb.volume.VolumeFactory factory = checksummed ? BufferedRandomAccessFileVol.CHECKSUMMED
                : BufferedRandomAccessFileVol.FACTORY;
        Volume v = open(factory.makeVolume(file.toString(), false, 0L, 20, 0, false));
        int block = BufferedRandomAccessFileVol.BLOCK;
        v.ensureAvailable(2L * block);
        v.putLong(block + 8, 7);
        assertThat(v.getLong(block + 8)).isEqualTo(7);
        // a write into the cached block, and one straddling it and the next, read back from the cache
        v.putLong(block + 16, 8);
        byte[] straddling = new byte[32];
        Arrays.fill(straddling, (byte) 5);
        v.putData(2L * block - 16, straddling, 0, 32);
        assertThat(v.getLong(block + 16)).isEqualTo(8);
        assertThat(v.getByte(2L * block - 1)).isEqualTo((byte) 5);
        assertThat(v.length()).isEqualTo(2L * block + 16);
        // a cut below the cached bytes, then the file grown again: zeros, not the cached bytes
        v.truncate(block + 4);
        assertThat(v.length()).isEqualTo(block + 4);
        assertThatThrownBy(() -> v.getLong(block + 8)).isInstanceOf(DBException.VolumeIOError.class);
        v.ensureAvailable(2L * block);
        assertThat(v.getLong(block + 8)).isZero();
        assertThat(v.getLong(block + 16)).isZero();
        assertThat(v.length()).isEqualTo(2L * block);
        v.sync();
        v.close();
        opened.clear();
        Volume again = open(factory.makeVolume(file.toString(), true, 0L, 20, 0, false));
        assertThat(again.length()).isEqualTo(2L * block);
        assertThat(again.getLong(block + 8)).isZero();
    }

    @Test
    void blocksSharingASlot() throws IOException {
        int span = BufferedRandomAccessFileVol.BLOCK * BufferedRandomAccessFileVol.BLOCKS;
        byte[] content = new byte[3 * span + 100];
        new Random(9).nextBytes(content);
        Path file = dir.resolve("slots");
        Files.write(file, content);
        Volume expected = open(RandomAccessFileVol.FACTORY.makeVolume(file.toString(), true, 0L, 20, 0, false));
        Volume actual = open(BufferedRandomAccessFileVol.FACTORY.makeVolume(file.toString(), false, 0L, 20, 0, false));
        Random random = new Random(10);
        for (int i = 0; i < 2000; i++) {
            long off = (long) span * random.nextInt(4) + random.nextInt(2 * BufferedRandomAccessFileVol.BLOCK);
            assertThat(describeOrValue(() -> actual.getLong(off))).as("at %d", off)
                    .isEqualTo(describeOrValue(() -> expected.getLong(off)));
            assertThat(describeOrValue(() -> actual.getPackedLong(off))).as("at %d", off)
                    .isEqualTo(describeOrValue(() -> expected.getPackedLong(off)));
        }
    }

    // ---- locking, read-only, closing ----

    @Test
    void locksTheFileAndOpensReadOnly() {
        Path file = dir.resolve("locked");
        Volume v = open(BufferedRandomAccessFileVol.FACTORY.makeVolume(file.toString(), false, 0L, 20, 64, false));
        assertThat(v.length()).isEqualTo(64);
        v.putLong(8, 0x0102030405060708L);
        v.sync();
        assertThatThrownBy(() -> BufferedRandomAccessFileVol.FACTORY.makeVolume(file.toString(), false, 0L, 20, 0,
                false)).isInstanceOf(DBException.FileLocked.class);
        assertThatThrownBy(() -> RandomAccessFileVol.FACTORY.makeVolume(file.toString(), false, 0L, 20, 0,
                false)).isInstanceOf(DBException.FileLocked.class);
        // fileLockWait: waits, then gives up
        long start = System.nanoTime();
        assertThatThrownBy(() -> BufferedRandomAccessFileVol.FACTORY.makeVolume(file.toString(), false, 250L, 20, 0,
                false)).isInstanceOf(DBException.FileLocked.class);
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(200_000_000L);

        Volume ro = open(BufferedRandomAccessFileVol.FACTORY.makeVolume(file.toString(), true, 0L, 20, 1000, false));
        assertThat(ro.isReadOnly()).isTrue();
        assertThat(ro.getFileLocked()).isFalse();
        assertThat(ro.length()).as("read-only ignores initSize").isEqualTo(64);
        assertThat(ro.getLong(8)).isEqualTo(0x0102030405060708L);
        assertThatThrownBy(() -> ro.putLong(0, 1)).isInstanceOf(DBException.VolumeIOError.class);

        v.close();
        assertThat(v.isClosed()).isTrue();
        assertThat(v.getFileLocked()).isFalse();
        v.close(); // twice is fine
        assertThatThrownBy(() -> v.getLong(8)).isInstanceOf(DBException.VolumeIOError.class);
        Volume again = open(BufferedRandomAccessFileVol.FACTORY.makeVolume(file.toString(), false, 0L, 20, 0, false));
        assertThat(again.getFileLocked()).isTrue();
        assertThat(again.getLong(8)).isEqualTo(0x0102030405060708L);
        assertThat(BufferedRandomAccessFileVol.FACTORY.exists(file.toString())).isTrue();
        assertThat(BufferedRandomAccessFileVol.FACTORY.exists(dir.resolve("none").toString())).isFalse();
        assertThat(BufferedRandomAccessFileVol.FACTORY.handlesReadonly()).isTrue();
    }

    /** Like {@code RandomAccessFileVol}, a read-only volume sees what another volume writes to its file. */
    @Test
    void aReadOnlyVolumeSeesWhatAnotherVolumeWrites() {
        Path file = dir.resolve("shared");
        Volume writer = open(BufferedRandomAccessFileVol.FACTORY.makeVolume(file.toString(), false, -1L, 20, 64,
                false));
        Volume reader = open(BufferedRandomAccessFileVol.FACTORY.makeVolume(file.toString(), true, 0L, 20, 0, false));
        writer.putLong(8, 1);
        assertThat(reader.getLong(8)).isEqualTo(1);
        assertThat(reader.getLong(0)).isZero();
        writer.putLong(8, 2);
        writer.putLong(0, 3);
        writer.putPackedLong(16, 300);
        assertThat(reader.getLong(8)).isEqualTo(2);
        assertThat(reader.getLong(0)).isEqualTo(3);
        assertThat(reader.getPackedLong(16) & 0x0FFFFFFFFFFFFFFFL).isEqualTo(300);
    }

    // ---- interrupts ----

    @Test
    void anInterruptedThreadStillReadsAndWrites() {
        Path file = dir.resolve("interrupted");
        Thread.currentThread().interrupt();
        Volume v = open(BufferedRandomAccessFileVol.FACTORY.makeVolume(file.toString(), false, 0L, 20, 32, false));
        assertThat(Thread.currentThread().isInterrupted()).as("opening keeps the flag").isTrue();

        v.ensureAvailable(4096);
        v.putLong(0, 42L);
        v.putInt(8, 7);
        v.putSixLong(12, 123456789L);
        int packed = v.putPackedLong(18, 1L << 40);
        v.putData(100, new byte[] {1, 2, 3}, 0, 3);
        v.clear(200, 3000);
        v.sync();
        assertThat(v.getLong(0)).isEqualTo(42L);
        assertThat(v.getInt(8)).isEqualTo(7);
        assertThat(v.getSixLong(12)).isEqualTo(123456789L);
        assertThat(v.getPackedLong(18)).isEqualTo(((long) packed << 60) | (1L << 40));
        assertThat(v.getDataInput(100, 3)).isNotNull();
        byte[] b = new byte[3];
        v.getData(100, b, 0, 3);
        assertThat(b).containsExactly(1, 2, 3);
        assertThat(v.length()).isEqualTo(4096);
        v.truncate(1024);
        assertThat(Thread.interrupted()).as("the flag is still set, and now cleared").isTrue();

        // still usable once the thread is no longer interrupted
        assertThat(v.getLong(0)).isEqualTo(42L);
        v.putLong(512, 9L);
        v.sync();
        assertThat(v.getLong(512)).isEqualTo(9L);
        assertThat(v.length()).isEqualTo(1024);
    }

    /** The check above means something: MapDB's FileChannel volume does die of the same interrupt. */
    @Test
    void theFileChannelVolumeDiesOfAnInterrupt() {
        Path file = dir.resolve("channel");
        Volume v = open(FileChannelVol.FACTORY.makeVolume(file.toString(), false, 0L, 20, 0, false));
        v.ensureAvailable(1024);
        v.putLong(0, 42L);
        Thread.currentThread().interrupt();
        assertThatThrownBy(() -> v.getLong(0)).isInstanceOf(DBException.class);
        Thread.interrupted();
        assertThatThrownBy(() -> v.getLong(0)).as("closed for good").isInstanceOf(DBException.class);
    }

    @Test
    void aStoreServesAnInterruptedThread() {
        Path file = dir.resolve("memory.db");
        SessionKey key = SessionKey.of("alice", "s1");
        try (MapDbStorage s = MapDbStorage.builder().file(file).checkpointEvery(3).build()) {
            s.getOrCreateSession(key, null);
            for (int i = 0; i < 10; i++) {
                Thread.currentThread().interrupt();
                s.appendMessage(key, "r" + i, Message.user("question " + i));
                s.appendMessage(key, "r" + i, Message.assistant("answer " + i));
                s.completeRun(key, "r" + i);
                List<Run> last = s.lastRuns(key, 3);
                assertThat(Thread.interrupted()).isTrue();
                assertThat(last.get(last.size() - 1).runId()).isEqualTo("r" + i);
            }
            Thread.currentThread().interrupt();
            s.checkpoint();
            assertThat(Thread.interrupted()).isTrue();
            assertThat(s.runs(key).map(Run::runId).filter(Objects::nonNull).toList()).hasSize(10);
        }
        try (MapDbStorage s = MapDbStorage.open(file)) {
            assertThat(s.runs(key).toList()).hasSize(10);
        }
    }
}
