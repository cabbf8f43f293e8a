package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.mapdb.DataInput2;
import org.mapdb.volume.Volume;
import org.mapdb.volume.VolumeFactory;

/**
 * Shared by the crash tests: reading what a child JVM ({@link dev.agnomemory.core.testing.ChildJvm})
 * acknowledged, the deterministic content of a run (so the parent knows byte for byte what a run id must hold), and
 * checking a reopened store against the acknowledged runs.
 */
final class CrashTestSupport {

    /** The sessions the children write to; run {@code i} of a child goes to {@code SESSIONS.get(i % 4)}. */
    static final List<SessionKey> SESSIONS = List.of(SessionKey.of("alice", "s1"), SessionKey.of("alice", "s2"),
            SessionKey.of("bob", "s1"), SessionKey.of("carol", "chat"));

    static final String AGENT = "crash-agent";
    static final String ACK = "ACK ";
    private static final String ACK_END = " $";

    /** Code points the content is made of: ASCII, Latin-1, CJK, an emoji (surrogate pair), NUL, newline, tab. */
    private static final int[] ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?\"'\\{}[]"
            + "\u00e9\u00fc\u00df\u00f1\u00e7\u00f8\u65e5\u672c\u8a9e\u4e2d\u6587\u20ac\ud83d\ude00\ud83d\ude80\u0000\n\t")
            .codePoints().toArray();

    private CrashTestSupport() {
    }

    static SessionKey sessionFor(int i) {
        return SESSIONS.get(i % SESSIONS.size());
    }

    /** The exact user message of run {@code runId}. */
    static Message userMessage(String runId) {
        return Message.builder(Role.USER).id(runId + "-u").content("question of " + runId + ": " + text(runId, 1, 40))
                .createdAt(instant(runId, 1)).build();
    }

    /** The exact assistant message of run {@code runId}: about 200 characters, with a payload. */
    static Message assistantMessage(String runId) {
        return Message.builder(Role.ASSISTANT).id(runId + "-a").content(text(runId, 2, 200))
                .createdAt(instant(runId, 2)).payload("{\"run\":\"" + runId + "\",\"x\":\"" + text(runId, 3, 20)
                        + "\"}")
                .build();
    }

    static List<Message> expectedMessages(String runId) {
        return List.of(userMessage(runId), assistantMessage(runId));
    }

    /** Prints the acknowledgement of a run; the end mark tells a whole line from one cut off by a kill. */
    static void printAck(PrintStream out, String runId) {
        out.println(ACK + runId + ACK_END);
        out.flush();
    }

    /** The run ids acknowledged in a child's output, in order. */
    static List<String> acked(List<String> lines) {
        return lines.stream().filter(l -> l.startsWith(ACK) && l.endsWith(ACK_END))
                .map(l -> l.substring(ACK.length(), l.length() - ACK_END.length())).collect(Collectors.toList());
    }

    /** Writes one complete run and returns once {@code completeRun} returned, i.e. the run is acknowledged. */
    static void writeRun(MapDbStorage storage, SessionKey key, String runId) {
        storage.appendMessage(key, runId, userMessage(runId));
        storage.appendMessage(key, runId, assistantMessage(runId));
        storage.completeRun(key, runId);
    }

    /** The same run in two durable writes: both messages in one call, then completeRun. */
    static void writeRunBatched(MapDbStorage storage, SessionKey key, String runId) {
        storage.appendMessages(key, runId, expectedMessages(runId));
        storage.completeRun(key, runId);
    }

    private static String text(String runId, int salt, int approxLength) {
        Random random = new Random(runId.hashCode() * 31L + salt);
        int length = approxLength - approxLength / 4 + random.nextInt(approxLength / 2 + 1);
        StringBuilder sb = new StringBuilder(length + 2);
        while (sb.length() < length) {
            sb.appendCodePoint(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        return sb.toString();
    }

    private static Instant instant(String runId, int salt) {
        Random random = new Random(runId.hashCode() * 17L + salt);
        return Instant.ofEpochSecond(1_700_000_000L + random.nextInt(100_000_000), random.nextInt(1_000_000_000));
    }

    // ---- checks ----

    /**
     * Checks every session of a reopened store: its runs are the acknowledged runs of that session in order, each
     * complete and byte-exact, with no duplicates and contiguous sequences; the only other runs allowed are
     * {@code inFlight} ones (a run that was being written when the process stopped), at most once each and with a
     * prefix of their messages.
     *
     * @return the number of in-flight runs found in the store
     */
    static int assertStoreHolds(MapDbStorage storage, Map<SessionKey, List<String>> acked, Set<String> inFlight,
            String context) {
        int inFlightFound = 0;
        for (SessionKey key : SESSIONS) {
            List<String> expected = acked.getOrDefault(key, List.of());
            List<Run> runs = storage.runs(key).collect(Collectors.toList());
            List<String> ids = runs.stream().map(Run::runId).collect(Collectors.toList());
            assertThat(ids).as("%s: run ids of %s", context, key).doesNotHaveDuplicates();
            for (int i = 0; i < runs.size(); i++) {
                assertThat(runs.get(i).sequence()).as("%s: sequence of run %s", context, ids.get(i)).isEqualTo(i);
                assertThat(runs.get(i).session()).isEqualTo(key);
            }
            Set<String> expectedSet = new HashSet<>(expected);
            List<String> ackedStored = ids.stream().filter(expectedSet::contains).collect(Collectors.toList());
            assertThat(ackedStored).as("%s: acknowledged runs of %s, in order", context, key)
                    .containsExactlyElementsOf(expected);
            for (Run run : runs) {
                if (expectedSet.contains(run.runId())) {
                    assertThat(run.completed()).as("%s: acknowledged run %s completed", context, run.runId()).isTrue();
                    assertThat(run.finishedAt()).isPresent();
                    assertThat(run.messages()).as("%s: messages of acknowledged run %s", context, run.runId())
                            .containsExactlyElementsOf(expectedMessages(run.runId()));
                } else {
                    assertThat(inFlight).as("%s: run %s in %s was never acknowledged and is not the run that was "
                            + "in flight", context, run.runId(), key).contains(run.runId());
                    inFlightFound++;
                    List<Message> full = expectedMessages(run.runId());
                    assertThat(run.messages().size()).as("%s: in-flight run %s", context, run.runId())
                            .isBetween(1, full.size());
                    assertThat(run.messages()).as("%s: messages of in-flight run %s", context, run.runId())
                            .containsExactlyElementsOf(full.subList(0, run.messages().size()));
                    if (run.completed()) {
                        assertThat(run.messages()).hasSize(full.size());
                    }
                }
            }
            if (!expected.isEmpty()) {
                String last = ids.get(ids.size() - 1);
                assertThat(storage.lastRuns(key, 1)).extracting(Run::runId).as("%s: last run of %s", context, key)
                        .containsExactly(last);
            }
            assertThat(storage.session(key)).as("%s: session %s", context, key).isPresent();
        }
        return inFlightFound;
    }

    /** Groups acknowledged run ids by the session their index put them in. */
    static Map<SessionKey, List<String>> bySession(List<String> runIds) {
        Map<SessionKey, List<String>> out = new LinkedHashMap<>();
        for (String id : runIds) {
            out.computeIfAbsent(sessionFor(indexOf(id)), k -> new ArrayList<>()).add(id);
        }
        return out;
    }

    /** The index {@code i} of a run id {@code <prefix>-<i>}. */
    static int indexOf(String runId) {
        return Integer.parseInt(runId.substring(runId.lastIndexOf('-') + 1));
    }

    /** The last checkpoint marker of the journal: "begin", "end", or "none". */
    static String lastCheckpointMarker(Path file) {
        return JournalContents.lastCheckpointMarker(file);
    }

    // ---- fault injection ----

    /**
     * Opens MapDB's volumes with {@link BufferedRandomAccessFileVol#CHECKSUMMED}, the production default; the volume of
     * the main index file (not its {@code .wal.N} files) calls {@link #beforeWrite} before every write, in the
     * writing thread. MapDB writes the main file only while it creates it and inside {@code StoreWAL.commit()}.
     */
    abstract static class MainFileWriteHook extends VolumeFactory {
        private final String mainFile;

        MainFileWriteHook(Path mainFile) {
            this.mainFile = mainFile.toAbsolutePath().normalize().toString();
        }

        /** Called before each write to the main file: put*, ensureAvailable, truncate, clear, sync. */
        protected abstract void beforeWrite(String op, long offset);

        @Override
        public Volume makeVolume(String file, boolean readOnly, long fileLockWait, int sliceShift, long initSize,
                boolean fixedSize) {
            Volume v = BufferedRandomAccessFileVol.CHECKSUMMED.makeVolume(file, readOnly, fileLockWait, sliceShift,
                    initSize, fixedSize);
            boolean main = Path.of(file).toAbsolutePath().normalize().toString().equals(mainFile);
            return main ? new HookedVolume(v) : v;
        }

        @Override
        public boolean exists(String file) {
            return BufferedRandomAccessFileVol.CHECKSUMMED.exists(file);
        }

        @Override
        public boolean handlesReadonly() {
            return BufferedRandomAccessFileVol.CHECKSUMMED.handlesReadonly();
        }

        /** Delegates everything to the real volume, calling {@link #beforeWrite} before each write. */
        private final class HookedVolume extends Volume {
            private final Volume v;

            HookedVolume(Volume v) {
                this.v = v;
            }

            @Override
            public void ensureAvailable(long offset) {
                beforeWrite("ensureAvailable", offset);
                v.ensureAvailable(offset);
            }

            @Override
            public void truncate(long size) {
                beforeWrite("truncate", size);
                v.truncate(size);
            }

            @Override
            public void putLong(long offset, long value) {
                beforeWrite("putLong", offset);
                v.putLong(offset, value);
            }

            @Override
            public void putInt(long offset, int value) {
                beforeWrite("putInt", offset);
                v.putInt(offset, value);
            }

            @Override
            public void putByte(long offset, byte value) {
                beforeWrite("putByte", offset);
                v.putByte(offset, value);
            }

            @Override
            public void putData(long offset, byte[] src, int srcPos, int srcSize) {
                beforeWrite("putData", offset);
                v.putData(offset, src, srcPos, srcSize);
            }

            @Override
            public void putData(long offset, ByteBuffer buf) {
                beforeWrite("putDataBuffer", offset);
                v.putData(offset, buf);
            }

            @Override
            public void putDataOverlap(long offset, byte[] src, int srcPos, int srcSize) {
                beforeWrite("putDataOverlap", offset);
                v.putDataOverlap(offset, src, srcPos, srcSize);
            }

            @Override
            public void putUnsignedShort(long offset, int value) {
                beforeWrite("putUnsignedShort", offset);
                v.putUnsignedShort(offset, value);
            }

            @Override
            public void putUnsignedByte(long offset, int b) {
                beforeWrite("putUnsignedByte", offset);
                v.putUnsignedByte(offset, b);
            }

            @Override
            public void putSixLong(long pos, long value) {
                beforeWrite("putSixLong", pos);
                v.putSixLong(pos, value);
            }

            @Override
            public int putPackedLong(long pos, long value) {
                beforeWrite("putPackedLong", pos);
                return v.putPackedLong(pos, value);
            }

            @Override
            public void clear(long startOffset, long endOffset) {
                beforeWrite("clear", startOffset);
                v.clear(startOffset, endOffset);
            }

            @Override
            public void clearOverlap(long startOffset, long endOffset) {
                beforeWrite("clearOverlap", startOffset);
                v.clearOverlap(startOffset, endOffset);
            }

            @Override
            public void copyFrom(InputStream input) {
                beforeWrite("copyFrom", 0);
                v.copyFrom(input);
            }

            @Override
            public void sync() {
                beforeWrite("sync", -1);
                v.sync();
            }

            // ---- reads and the rest: plain delegation ----

            @Override
            public long getLong(long offset) {
                return v.getLong(offset);
            }

            @Override
            public int getInt(long offset) {
                return v.getInt(offset);
            }

            @Override
            public byte getByte(long offset) {
                return v.getByte(offset);
            }

            @Override
            public DataInput2 getDataInput(long offset, int size) {
                return v.getDataInput(offset, size);
            }

            @Override
            public DataInput2 getDataInputOverlap(long offset, int size) {
                return v.getDataInputOverlap(offset, size);
            }

            @Override
            public void getData(long offset, byte[] bytes, int bytesPos, int size) {
                v.getData(offset, bytes, bytesPos, size);
            }

            @Override
            public int getUnsignedShort(long offset) {
                return v.getUnsignedShort(offset);
            }

            @Override
            public int getUnsignedByte(long offset) {
                return v.getUnsignedByte(offset);
            }

            @Override
            public long getSixLong(long pos) {
                return v.getSixLong(pos);
            }

            @Override
            public long getPackedLong(long position) {
                return v.getPackedLong(position);
            }

            @Override
            public void copyTo(long inputOffset, Volume target, long targetOffset, long size) {
                v.copyTo(inputOffset, target, targetOffset, size);
            }

            @Override
            public void copyTo(Volume to) {
                v.copyTo(to);
            }

            @Override
            public void copyTo(OutputStream output) {
                v.copyTo(output);
            }

            @Override
            public long hash(long off, long len, long seed) {
                return v.hash(off, len, seed);
            }

            @Override
            public boolean fileLoad() {
                return v.fileLoad();
            }

            @Override
            public void assertZeroes(long startOffset, long endOffset) {
                v.assertZeroes(startOffset, endOffset);
            }

            @Override
            public boolean isClosed() {
                return v.isClosed();
            }

            @Override
            public void close() {
                closed.set(true);
                v.close();
            }

            @Override
            public void deleteFile() {
                v.deleteFile();
            }

            @Override
            public int sliceSize() {
                return v.sliceSize();
            }

            @Override
            public boolean isSliced() {
                return v.isSliced();
            }

            @Override
            public long length() {
                return v.length();
            }

            @Override
            public boolean isReadOnly() {
                return v.isReadOnly();
            }

            @Override
            public File getFile() {
                return v.getFile();
            }

            @Override
            public boolean getFileLocked() {
                return v.getFileLocked();
            }
        }
    }
}
