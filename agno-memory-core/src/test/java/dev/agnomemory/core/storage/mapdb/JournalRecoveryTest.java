package dev.agnomemory.core.storage.mapdb;

import static dev.agnomemory.core.storage.mapdb.StoreFixtures.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.StoreFormatException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The open never goes ahead with data missing: a journal that holds less than its index knows is refused with both
 * files untouched; only the last write may be discarded as torn, and only when it could be one; damage to a write
 * that was acknowledged is refused, also when pages of the last group commit reached the disk out of order.
 */
class JournalRecoveryTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("memory.db");
    }

    /** A closed store of 30 runs whose index has applied every record (the close checkpointed). */
    private Path closedStore() {
        StoreFixtures.writeRuns(file(), 30);
        return file();
    }

    private static long dataEnd(Path file) {
        return JournalContents.read(file).stream().mapToLong(e -> e.where().offset() + e.where().length()).max()
                .orElseThrow();
    }

    private void assertRefusedUntouched(Path file, String... fragments) {
        Map<String, byte[]> before = StoreFixtures.snapshot(file.getParent());
        var thrown = assertThatThrownBy(() -> MapDbStorage.open(file)).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(file.getFileName() + ".journal-").hasMessageContaining("Nothing was changed");
        for (String f : fragments) {
            thrown.hasMessageContaining(f);
        }
        StoreFixtures.assertUnchanged(file.getParent(), before);
    }

    // ---- a journal that holds less than the index knows ----

    @Test
    void journalTruncatedInTheMiddleOfAFrameIsRefused() throws IOException {
        Path file = closedStore();
        Path segment = StoreFixtures.lastSegment(file);
        try (RandomAccessFile raf = new RandomAccessFile(segment.toFile(), "rw")) {
            raf.setLength(dataEnd(file) / 2 + 7);
        }
        assertRefusedUntouched(file, "the index has applied the journal up to record", "the journal ends at record");
    }

    @Test
    void journalTruncatedAtAFrameBoundaryIsRefused() throws IOException {
        Path file = closedStore();
        JournalContents.Entry middle = JournalContents.read(file).get(40);
        Path segment = StoreFixtures.lastSegment(file);
        try (RandomAccessFile raf = new RandomAccessFile(segment.toFile(), "rw")) {
            raf.setLength(middle.where().offset() - 1 - Frame.HEADER); // the frame of an earlier record ends here
        }
        assertRefusedUntouched(file, "the index has applied the journal up to record", "the journal ends at record");
    }

    @Test
    void journalOverwrittenWithGarbageAfterItsHeaderIsRefused() throws IOException {
        Path file = closedStore();
        Path segment = StoreFixtures.lastSegment(file);
        byte[] bytes = Files.readAllBytes(segment);
        byte[] garbage = new byte[bytes.length - SegmentHeader.SIZE];
        new Random(3).nextBytes(garbage);
        System.arraycopy(garbage, 0, bytes, SegmentHeader.SIZE, garbage.length);
        Files.write(segment, bytes);
        assertRefusedUntouched(file, "the index has applied the journal up to record");
    }

    @Test
    void journalReplacedByAnOlderCopyIsRefused() throws IOException {
        Path older;
        try (MapDbStorage s = MapDbStorage.builder().file(file()).checkpointEvery(1_000_000).build()) {
            s.getOrCreateSession(KEY, null);
            for (int i = 0; i < 10; i++) {
                StoreFixtures.writeRun(s, KEY, i);
            }
            older = StoreFixtures.crashImage(file(), dir.resolve("older"));
            for (int i = 10; i < 30; i++) {
                StoreFixtures.writeRun(s, KEY, i);
            }
        }
        for (Path segment : StoreFixtures.segments(older)) {
            Files.copy(segment, file().resolveSibling(segment.getFileName()),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        assertRefusedUntouched(file(), "the index has applied the journal up to record", "older copy");
    }

    // ---- what may be discarded as a torn write ----

    @Test
    void aSmallDamagedTailIsDiscardedAsATornWriteWithoutClaimingNothingWasLost() throws IOException {
        Path file = closedStore();
        Path segment = StoreFixtures.lastSegment(file);
        byte[] tail = new byte[300];
        new Random(5).nextBytes(tail);
        try (RandomAccessFile raf = new RandomAccessFile(segment.toFile(), "rw")) {
            raf.seek(raf.length());
            raf.write(tail);
        }
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file)) {
            StoreFixtures.assertRuns(s, 30);
            assertThat(log.text()).contains("discarded 300 bytes").doesNotContain("is lost");
        }
    }

    @Test
    void moreDamageThanOneWriteCouldLeaveIsRefused() throws IOException {
        Path file = closedStore();
        Path segment = StoreFixtures.lastSegment(file);
        byte[] tail = new byte[SegmentScanner.MAX_GROUP + 64 * 1024];
        new Random(5).nextBytes(tail);
        try (RandomAccessFile raf = new RandomAccessFile(segment.toFile(), "rw")) {
            raf.seek(raf.length());
            raf.write(tail);
        }
        assertRefusedUntouched(file, "more than a write cut off by a crash could have left");
    }

    /**
     * {@code finishRun} with the run's last messages is one frame: a crash that tears it takes the messages and the
     * finish together, and leaves the run as it was before the call (two frames could leave the messages without
     * the finish).
     */
    @Test
    void aRunFinishedWithItsLastMessagesIsOneFrameThatATornWriteTakesWhole() throws IOException {
        Path image;
        try (MapDbStorage s = MapDbStorage.builder().file(file()).checkpointEvery(1_000_000).build()) {
            s.getOrCreateSession(KEY, null);
            StoreFixtures.writeRun(s, KEY, 0);
            s.appendMessage(KEY, "r1", Message.user("question 1"));
            s.finishRun(KEY, "r1", List.of(Message.assistant("answer 1")), dev.agnomemory.core.RunOutcome.completed());
            image = StoreFixtures.crashImage(file(), dir.resolve("image"));
        }
        List<JournalContents.Entry> entries = JournalContents.read(image);
        JournalContents.Entry appended = entries.get(entries.size() - 2);
        JournalContents.Entry finished = entries.get(entries.size() - 1);
        assertThat(appended.record()).isInstanceOf(JournalRecord.MessagesAppended.class);
        assertThat(finished.record()).isInstanceOf(JournalRecord.RunFinished.class);
        long gap = finished.where().offset() - (appended.where().offset() + appended.where().length());
        assertThat(gap).as("only the record's length prefix between them, no frame header").isLessThan(Frame.HEADER);

        flipByte(image, finished, finished.where().length() / 2);
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(image)) {
            List<Run> runs = s.lastRuns(KEY, 5);
            assertThat(runs).extracting(Run::runId).containsExactly("r0", "r1");
            assertThat(runs.get(1).messages()).extracting(Message::content).containsExactly("question 1");
            assertThat(runs.get(1).status()).isEqualTo(dev.agnomemory.core.RunStatus.RUNNING);
            assertThat(log.text()).contains("discarded");
        }
    }

    // ---- damage to writes that were acknowledged ----

    /** A crash image of an open store whose last 12 records came after its last checkpoint. */
    private Path storeWithTail() {
        Path image;
        try (MapDbStorage s = MapDbStorage.builder().file(file()).checkpointEvery(1_000_000).build()) {
            s.getOrCreateSession(KEY, null);
            for (int i = 0; i < 10; i++) {
                StoreFixtures.writeRun(s, KEY, i);
            }
            s.checkpoint();
            for (int i = 10; i < 14; i++) {
                StoreFixtures.writeRun(s, KEY, i);
            }
            image = StoreFixtures.crashImage(file(), dir.resolve("image"));
        }
        return image;
    }

    @Test
    void damageToTheLastFrameOfAnAcknowledgedWriteFollowedByALaterOneIsRefused() throws IOException {
        Path image = storeWithTail();
        List<JournalContents.Entry> entries = JournalContents.read(image);
        JournalContents.Entry victim = entries.get(entries.size() - 2); // r13's last message; completeRun follows
        flipByte(image, victim, victim.where().length() / 2);
        assertRefusedUntouched(image, "had been acknowledged");
    }

    @Test
    void damageToTheFrameTheIndexCheckpointedAtIsRefused() throws IOException {
        Path image = storeWithTail();
        JournalContents.Entry begin = JournalContents.read(image).stream()
                .filter(e -> e.record() instanceof JournalRecord.CheckpointBegin b && !b.newIndex())
                .reduce((a, b) -> b).orElseThrow();
        flipByte(image, begin, 0);
        assertRefusedUntouched(image, "the index has applied the journal up to record");
    }

    private static void flipByte(Path file, JournalContents.Entry e, long at) throws IOException {
        Path segment = StoreFiles.of(file).segment(e.segment());
        try (RandomAccessFile raf = new RandomAccessFile(segment.toFile(), "rw")) {
            raf.seek(e.where().offset() + at);
            int b = raf.read();
            raf.seek(e.where().offset() + at);
            raf.write(b ^ 0x10);
        }
    }

    // ---- a torn group commit ----

    private static final int SECTOR = 512;
    private static final int GROUP = 6;

    /**
     * The last group commit of a crash image, torn: its frames are rewritten as one group (as the log writer writes
     * concurrent writers' frames: one write, one flush, the same durable mark), and for every subset of its 512-byte
     * sectors, those sectors reach the disk and the others keep what was there before (the pre-allocated zeros): a
     * crash after the pages were written in any order. The open must never refuse, must keep everything before the
     * group, and may keep whole frames of the group only as a prefix (a frame after a lost one breaks the chain).
     */
    @Test
    void aGroupCommitTornInEveryOrderOpensWithAPrefixOfItsFrames() throws IOException {
        SessionKey[] keys = new SessionKey[GROUP];
        Path image;
        try (MapDbStorage s = MapDbStorage.builder().file(file()).checkpointEvery(1_000_000).build()) {
            for (int i = 0; i < GROUP; i++) {
                keys[i] = SessionKey.of("user-" + i, "s");
                s.getOrCreateSession(keys[i], null);
            }
            for (int i = 0; i < 20; i++) {
                StoreFixtures.writeRun(s, keys[i % GROUP], i);
            }
            s.checkpoint();
            for (int i = 0; i < GROUP; i++) {
                s.appendMessage(keys[i], "g", Message.user("group write " + i + " " + "x".repeat(100 + 20 * i)));
            }
            image = StoreFixtures.crashImage(file(), dir.resolve("image"));
        }
        Path segment = StoreFixtures.lastSegment(image);
        List<JournalContents.Entry> entries = JournalContents.read(image);
        List<JournalContents.Entry> group = entries.subList(entries.size() - GROUP * 2, entries.size());
        assertThat(group).allMatch(e -> e.record() instanceof JournalRecord.RunStarted
                || e.record() instanceof JournalRecord.MessagesAppended);
        byte[] whole = Files.readAllBytes(segment);
        GroupRewrite rewrite = rewriteAsOneGroup(whole, entries, GROUP);
        byte[] persisted = rewrite.bytes();
        int firstSector = (int) (rewrite.start() / SECTOR);
        int lastSector = (int) ((rewrite.end() - 1) / SECTOR);
        int sectors = lastSector - firstSector + 1;
        assertThat(sectors).as("sectors of the group").isBetween(3, 6);

        for (int subset = 0; subset < (1 << sectors); subset++) {
            byte[] torn = whole.clone();
            java.util.Arrays.fill(torn, (int) rewrite.start(), (int) rewrite.end(), (byte) 0);
            for (int k = 0; k < sectors; k++) {
                if ((subset & (1 << k)) != 0) {
                    int from = (firstSector + k) * SECTOR;
                    System.arraycopy(persisted, from, torn, from, Math.min(SECTOR, persisted.length - from));
                }
            }
            // the sector shared with the frames before the group holds their bytes either way
            int from = firstSector * SECTOR;
            System.arraycopy(whole, from, torn, from, (int) (rewrite.start() - from));
            Path caseDir = dir.resolve("case-" + subset);
            Path copy = copyImage(image, caseDir);
            Files.write(StoreFixtures.lastSegment(copy), torn);
            int expected = prefixFrames(rewrite, subset, firstSector);
            try (MapDbStorage s = MapDbStorage.open(copy)) {
                for (int i = 0; i < GROUP; i++) {
                    List<Run> runs = s.runs(keys[i]).toList();
                    boolean kept = i < expected;
                    int base = (20 - i + GROUP - 1) / GROUP;
                    assertThat(runs).as("subset %s: session %s", Integer.toBinaryString(subset), i)
                            .hasSize(kept ? base + 1 : base);
                    if (kept) {
                        assertThat(runs.get(base).messages()).extracting(Message::content)
                                .containsExactly("group write " + i + " " + "x".repeat(100 + 20 * i));
                    }
                }
                for (int i = 0; i < 20; i++) {
                    assertThat(s.runs(keys[i % GROUP]).toList().get(i / GROUP).runId()).isEqualTo("r" + i);
                }
            }
        }
    }

    private record GroupRewrite(byte[] bytes, long start, long end, long[] frameEnds) {
    }

    /**
     * Rewrites the frames of the last {@code calls} writes (each a RunStarted and a MessagesAppended in one frame) as
     * one group: the same records and numbers, chained, all with the durable mark of the frame before the group.
     */
    private static GroupRewrite rewriteAsOneGroup(byte[] segment, List<JournalContents.Entry> entries, int calls) {
        List<JournalContents.Entry> group = entries.subList(entries.size() - calls * 2, entries.size());
        // the frame header is before the first record's length prefix
        int length = group.get(0).where().length();
        long start = group.get(0).where().offset() - (length < 128 ? 1 : length < 16384 ? 2 : 3) - Frame.HEADER;
        assertThat(Frame.getLong(segment, (int) start + 12)).isEqualTo(group.get(0).lsn());
        int previousCrc = Frame.getInt(segment, (int) start + 8);
        long durable = group.get(0).lsn() - 1;
        byte[] out = segment.clone();
        int at = (int) start;
        long[] ends = new long[calls];
        for (int c = 0; c < calls; c++) {
            List<JournalRecord> records = List.of(group.get(2 * c).record(), group.get(2 * c + 1).record());
            Frame f = Frame.encode(records, group.get(2 * c).lsn());
            previousCrc = f.writeTo(out, at, previousCrc, durable);
            at += f.size();
            ends[c] = at;
        }
        return new GroupRewrite(out, start, at, ends);
    }

    /** How many frames of the group are whole given which sectors reached the disk. */
    private static int prefixFrames(GroupRewrite g, int subset, int firstSector) {
        int n = 0;
        long frameStart = g.start();
        for (long end : g.frameEnds()) {
            for (long b = frameStart; b < end; b++) {
                int k = (int) (b / SECTOR) - firstSector;
                if ((subset & (1 << k)) == 0) {
                    return n;
                }
            }
            n++;
            frameStart = end;
        }
        return n;
    }

    private static Path copyImage(Path image, Path target) throws IOException {
        Files.createDirectories(target);
        List<Path> files = new ArrayList<>();
        try (var list = Files.list(image.getParent())) {
            list.forEach(files::add);
        }
        for (Path p : files) {
            Files.copy(p, target.resolve(p.getFileName()));
        }
        return target.resolve(image.getFileName());
    }
}
