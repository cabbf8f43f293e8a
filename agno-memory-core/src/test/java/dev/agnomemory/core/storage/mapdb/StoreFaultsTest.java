package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.agnomemory.core.testing.Texts.assertSameTexts;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreFormatException;
import dev.agnomemory.core.storage.StoreLockedException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import dev.agnomemory.core.testing.TickingClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Locked, foreign, damaged and newer files; deletes purged from disk; bad arguments. */
class StoreFaultsTest {

    @TempDir
    Path dir;

    private static final SessionKey KEY = StoreFixtures.KEY;

    private Path file() {
        return dir.resolve("memory.db");
    }

    private static void writeRuns(Path file, int runs) {
        StoreFixtures.writeRuns(file, runs);
    }

    private static void assertRuns(MapDbStorage s, int runs) {
        StoreFixtures.assertRuns(s, runs);
    }

    @Test
    void secondOpenInThisProcessIsRefusedNamingTheFile() {
        try (MapDbStorage first = MapDbStorage.open(file())) {
            assertThatThrownBy(() -> MapDbStorage.open(file()))
                    .isInstanceOf(StoreLockedException.class)
                    .hasMessageContaining(file().toString())
                    .hasMessageContaining("already open");
            first.getOrCreateSession(KEY, null); // the first one is unaffected
        }
        try (MapDbStorage again = MapDbStorage.open(file())) {
            assertThat(again.session(KEY)).isPresent();
        }
    }

    @Test
    void openHeldByAnotherProcessIsRefusedNamingTheFile() throws Exception {
        writeRuns(file(), 1);
        Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp",
                System.getProperty("java.class.path"), HoldStore.class.getName(), file().toString())
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null && !line.equals("OPEN")) {
                // skip log lines
            }
            assertThat(line).as("child opened the store").isEqualTo("OPEN");
            assertThatThrownBy(() -> MapDbStorage.open(file()))
                    .isInstanceOf(StoreLockedException.class)
                    .hasMessageContaining(file().toString())
                    .hasMessageContaining("another process");
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
        try (MapDbStorage s = MapDbStorage.open(file())) {
            assertRuns(s, 1);
        }
    }

    /** Child process: opens the store and holds it until killed. */
    public static final class HoldStore {
        public static void main(String[] args) throws Exception {
            MapDbStorage s = MapDbStorage.open(Path.of(args[0]));
            System.out.println("OPEN");
            System.out.flush();
            Thread.sleep(60_000);
            s.close();
        }
    }

    @Test
    void garbageFileIsRefusedAndLeftUntouched() throws IOException {
        byte[] garbage = new byte[10_000];
        new Random(1).nextBytes(garbage);
        Files.write(file(), garbage);

        assertThatThrownBy(() -> MapDbStorage.open(file()))
                .isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(file().toString())
                .hasMessageContaining("not an agno-memory store");
        assertThat(Files.readAllBytes(file())).isEqualTo(garbage);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file());
        }
    }

    @Test
    void textFileIsRefusedAndLeftUntouched() throws IOException {
        Files.writeString(file(), "hello, I am not a database\n");
        assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(file().toString());
        assertThat(Files.readString(file())).isEqualTo("hello, I am not a database\n");
    }

    @Test
    void mapDbFileWithoutItsJournalIsRefusedAndLeftUntouched() throws IOException {
        writeRuns(file(), 2);
        for (Path segment : StoreFixtures.segments(file())) {
            Files.delete(segment);
        }
        byte[] before = Files.readAllBytes(file());
        assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining("journal").hasMessageContaining("missing");
        assertThat(Files.readAllBytes(file())).isEqualTo(before);
    }

    @Test
    void truncatedJournalHeaderIsRefusedAndLeftUntouched() throws IOException {
        writeRuns(file(), 2);
        Path segment = StoreFixtures.segments(file()).get(0);
        try (RandomAccessFile raf = new RandomAccessFile(segment.toFile(), "rw")) {
            raf.setLength(10);
        }
        Map<String, byte[]> before = StoreFixtures.snapshot(dir);
        assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(segment.toString());
        StoreFixtures.assertUnchanged(dir, before);
    }

    /** Damage in the journal after the last checkpoint, where the open reads, followed by intact records. */
    @Test
    void journalCorruptAfterTheCheckpointIsRefusedAndLeftUntouched() throws IOException {
        Path crashed;
        try (MapDbStorage s = MapDbStorage.builder().file(file()).checkpointEvery(1_000_000).build()) {
            s.getOrCreateSession(KEY, null);
            for (int i = 0; i < 20; i++) {
                StoreFixtures.writeRun(s, KEY, i);
            }
            crashed = StoreFixtures.crashImage(file(), dir.resolve("crashed"));
        }
        Path segment = StoreFixtures.lastSegment(crashed);
        long end = JournalContents.read(crashed).stream().mapToLong(e -> e.where().offset() + e.where().length())
                .max().orElseThrow();
        byte[] bytes = Files.readAllBytes(segment);
        bytes[(int) (end / 2)] ^= 0x5A;
        Files.write(segment, bytes);
        Map<String, byte[]> before = StoreFixtures.snapshot(crashed.getParent());

        assertThatThrownBy(() -> MapDbStorage.open(crashed)).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(segment.toString()).hasMessageContaining("damaged")
                .hasMessageContaining("Nothing was changed");
        StoreFixtures.assertUnchanged(crashed.getParent(), before);
    }

    /**
     * Damage before the last checkpoint is not read by the open (it reads only what came after): the store opens,
     * and a read of the damaged message fails naming the file instead of returning wrong text; the rest reads fine.
     */
    @Test
    void journalCorruptBeforeTheCheckpointFailsTheReadsItTouchesNamingTheFile() throws IOException {
        writeRuns(file(), 20);
        JournalContents.Entry victim = JournalContents.read(file()).stream()
                .filter(e -> e.record() instanceof JournalRecord.MessagesAppended m
                        && m.messages().get(0).content().equals("answer 7"))
                .findFirst().orElseThrow();
        Path segment = StoreFiles.of(file()).segment(victim.segment());
        byte[] bytes = Files.readAllBytes(segment);
        bytes[(int) (victim.where().offset() + victim.where().length() - 3)] ^= 0x01;
        Files.write(segment, bytes);

        try (MapDbStorage s = MapDbStorage.open(file())) {
            assertThat(s.lastRuns(KEY, 5)).hasSize(5);
            assertThatThrownBy(() -> s.lastRuns(KEY, 13)).isInstanceOf(StorageException.class)
                    .hasMessageContaining(segment.toString()).hasMessageContaining("damaged");
        }
    }

    @Test
    void tornJournalTailFromACrashIsDiscardedAndEverythingElseKept() throws IOException {
        writeRuns(file(), 5);
        Path segment = StoreFixtures.lastSegment(file());
        long size = Files.size(segment);
        // a frame whose write was cut off: a plausible length, then only part of the bytes
        try (RandomAccessFile raf = new RandomAccessFile(segment.toFile(), "rw")) {
            raf.seek(size);
            raf.writeInt(500);
            raf.write(new byte[37]);
            raf.write(1);
        }
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file())) {
            assertRuns(s, 5);
            assertThat(log.text()).contains("discarded 42 bytes").doesNotContain("lost");
            StoreFixtures.writeRun(s, KEY, 5);
        }
        try (MapDbStorage s = MapDbStorage.open(file())) {
            assertRuns(s, 6);
        }
    }

    @Test
    void unreadableMapDbFileIsRebuiltFromTheJournalWithALogLine() throws IOException {
        writeRuns(file(), 12);
        byte[] garbage = new byte[(int) Files.size(file())];
        new Random(7).nextBytes(garbage);
        garbage[0] = 0x4A; // still looks like MapDB at first glance
        Files.write(file(), garbage);

        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file())) {
            assertRuns(s, 12);
            assertThat(log.text()).contains("rebuilding it from the journal");
        }
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file())) {
            assertRuns(s, 12);
            assertThat(log.text()).doesNotContain("rebuilding");
        }
    }

    @Test
    void missingMapDbFileIsRebuiltFromTheJournal() throws IOException {
        writeRuns(file(), 3);
        Files.delete(file());
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file())) {
            assertRuns(s, 3);
            assertThat(log.text()).contains("rebuilding it from the journal");
        }
    }

    @Test
    void journalOfANewerFormatIsRefusedWithAClearMessage() throws IOException {
        writeRuns(file(), 1);
        Path segment = StoreFixtures.segments(file()).get(0);
        byte[] bytes = Files.readAllBytes(segment);
        bytes[11] = 9; // format version (big-endian int after the 8-byte magic)
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, SegmentHeader.SIZE - 4);
        int c = (int) crc.getValue();
        bytes[SegmentHeader.SIZE - 4] = (byte) (c >>> 24);
        bytes[SegmentHeader.SIZE - 3] = (byte) (c >>> 16);
        bytes[SegmentHeader.SIZE - 2] = (byte) (c >>> 8);
        bytes[SegmentHeader.SIZE - 1] = (byte) c;
        Files.write(segment, bytes);
        Map<String, byte[]> before = StoreFixtures.snapshot(dir);

        assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining("version 9").hasMessageContaining("newer");
        StoreFixtures.assertUnchanged(dir, before);
    }

    @Test
    void hugeAndExoticMessagesRoundTripExactly() {
        StringBuilder big = new StringBuilder(10 * 1024 * 1024);
        Random random = new Random(42);
        while (big.length() < 10 * 1024 * 1024) {
            big.append((char) ('a' + random.nextInt(26)));
        }
        String exotic = "emoji 👩‍👩‍👧‍👦🏳️‍🌈 RTL עברית العربية combining e\u0301\u0308 NUL[\u0000] "
                + "unpaired \uD800 and \uDC00 BOM \uFEFF zero-width \u200D end";
        List<String> contents = List.of(big.toString(), exotic, "", " ", "\u0000\u0000");
        Path file = file();
        try (MapDbStorage s = MapDbStorage.open(file)) {
            s.getOrCreateSession(KEY, null);
            for (String c : contents) {
                s.appendMessage(KEY, "r1", Message.builder(dev.agnomemory.core.Role.USER).content(c).payload(c)
                        .build());
            }
            s.completeRun(KEY, "r1");
            s.saveMemory(new UserMemory("m1", "alice", exotic, List.of(exotic), exotic, java.time.Instant.EPOCH,
                    java.time.Instant.EPOCH));
        }
        try (MapDbStorage s = MapDbStorage.open(file)) {
            List<Message> messages = s.lastRuns(KEY, 1).get(0).messages();
            assertSameTexts(messages.stream().map(Message::content).toList(), contents);
            assertSameTexts(messages.stream().map(Message::payload).toList(), contents);
            assertThat(s.memory("alice", "m1").orElseThrow().memory()).isEqualTo(exotic);
        }
        // and again after the index is rebuilt from the journal alone
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        try (MapDbStorage s = MapDbStorage.open(file)) {
            assertSameTexts(s.lastRuns(KEY, 1).get(0).messages().stream().map(Message::content).toList(), contents);
        }
    }

    @Test
    void deletedContentIsPurgedFromEveryFileAtClose() throws IOException {
        String secret = "SECRET-" + "x9y8z7".repeat(3);
        String memorySecret = "MEMSECRET-" + "q1w2e3".repeat(3);
        SessionKey other = SessionKey.of("bob", "s1");
        try (MapDbStorage s = MapDbStorage.builder().file(file()).checkpointEvery(3).build()) {
            s.getOrCreateSession(KEY, null);
            s.getOrCreateSession(other, null);
            for (int i = 0; i < 10; i++) {
                s.appendMessage(KEY, "r" + i, Message.user(secret + i));
                s.completeRun(KEY, "r" + i);
                s.appendMessage(other, "r" + i, Message.user("keep " + i));
                s.completeRun(other, "r" + i);
            }
            s.saveMemory(UserMemory.create("alice", memorySecret, null, null));
            s.saveMemory(UserMemory.create("bob", "Bob keeps this", null, null));
            s.checkpoint();
            assertThat(filesContain(secret)).isTrue();
            s.deleteSession(KEY);
            s.deleteMemories("alice");
        }
        assertThat(filesContain(secret)).as("deleted session content on disk").isFalse();
        assertThat(filesContain(memorySecret)).as("deleted memory on disk").isFalse();
        assertThat(filesContain("keep 9")).isTrue();
        try (MapDbStorage s = MapDbStorage.open(file())) {
            assertThat(s.session(KEY)).isEmpty();
            assertThat(s.lastRuns(other, 20)).hasSize(10);
            assertThat(s.memories("bob")).extracting(UserMemory::memory).containsExactly("Bob keeps this");
        }
    }

    @Test
    void deletedContentIsPurgedWithinThePurgeDelayWhileOpen() {
        String secret = "PURGE-ME-" + "k5l6m7".repeat(3);
        TickingClock clock = new TickingClock();
        ManualScheduler scheduler = new ManualScheduler(clock);
        try (MapDbStorage s = MapDbStorage.builder().file(file()).clock(clock).scheduler(scheduler)
                .purgeDelay(Duration.ofMinutes(1)).build()) {
            s.getOrCreateSession(KEY, null);
            s.appendMessage(KEY, "r1", Message.user(secret));
            s.completeRun(KEY, "r1");
            s.checkpoint();
            s.deleteSession(KEY);
            assertThat(scheduler.runDue()).isZero();
            assertThat(filesContain(secret)).as("before the purge delay").isTrue();
            clock.advance(Duration.ofMinutes(1).toMillis());
            assertThat(scheduler.runDue()).isPositive();
            assertThat(filesContain(secret)).as("deleted content on disk after the purge delay").isFalse();
            // the store stays fully usable after the background rewrite
            s.getOrCreateSession(KEY, null);
            s.appendMessage(KEY, "r1", Message.user("after purge"));
            s.completeRun(KEY, "r1");
        }
        try (MapDbStorage s = MapDbStorage.open(file())) {
            assertThat(s.lastRuns(KEY, 5)).flatExtracting(Run::messages).extracting(Message::content)
                    .containsExactly("after purge");
        }
    }

    @Test
    void aPurgeInterruptedByACrashRunsAtTheNextOpen() {
        String secret = "CRASHED-" + "p0o9i8".repeat(3);
        Path crashed;
        try (MapDbStorage s = MapDbStorage.builder().file(file()).purgeDelay(Duration.ofHours(1)).build()) {
            s.getOrCreateSession(KEY, null);
            s.appendMessage(KEY, "r1", Message.user(secret));
            s.completeRun(KEY, "r1");
            s.deleteSession(KEY);
            // a crash before the purge: the files as they are now, while open
            crashed = StoreFixtures.crashImage(file(), dir.resolve("crashed"));
        }
        assertThat(StoreFixtures.filesContain(crashed.getParent(), secret)).as("crash image holds the secret")
                .isTrue();
        try (MapDbStorage s = MapDbStorage.open(crashed)) {
            assertThat(s.session(KEY)).isEmpty();
        }
        assertThat(StoreFixtures.filesContain(crashed.getParent(), secret)).isFalse();
    }

    /** The same when the process stopped after a checkpoint recorded the pending purge in the index. */
    @Test
    void aPurgeRecordedAsPendingAtACheckpointRunsAtTheNextOpen() {
        String secret = "CHECKPOINTED-" + "a1s2d3".repeat(3);
        Path crashed;
        try (MapDbStorage s = MapDbStorage.builder().file(file()).purgeDelay(Duration.ofHours(1)).build()) {
            s.getOrCreateSession(KEY, null);
            s.appendMessage(KEY, "r1", Message.user(secret));
            s.completeRun(KEY, "r1");
            s.deleteSession(KEY);
            s.checkpoint();
            crashed = StoreFixtures.crashImage(file(), dir.resolve("crashed"));
        }
        try (MapDbStorage s = MapDbStorage.open(crashed)) {
            assertThat(s.session(KEY)).isEmpty();
        }
        assertThat(StoreFixtures.filesContain(crashed.getParent(), secret)).isFalse();
    }

    @Test
    void nullAndBlankIdsAreRejectedNamingTheParameter() {
        try (MapDbStorage s = MapDbStorage.inMemory()) {
            assertThatThrownBy(() -> SessionKey.of(null, "s")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("userId");
            assertThatThrownBy(() -> SessionKey.of("u", " ")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("sessionId");
            assertThatThrownBy(() -> s.getOrCreateSession(null, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("key");
            assertThatThrownBy(() -> s.getOrCreateSession(KEY, "")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("agentId");
            s.getOrCreateSession(KEY, null);
            assertThatThrownBy(() -> s.appendMessage(KEY, "", Message.user("x")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("runId");
            assertThatThrownBy(() -> s.appendMessage(KEY, "r", null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("message");
            assertThatThrownBy(() -> s.completeRun(KEY, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("runId");
            assertThatThrownBy(() -> s.lastRuns(KEY, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n");
            assertThatThrownBy(() -> s.memories(" ")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("userId");
            assertThatThrownBy(() -> s.deleteMemory("alice", null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("memoryId");
            assertThatThrownBy(() -> s.deleteMemories("")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("userId");
            assertThatThrownBy(() -> s.updateSessionData(KEY, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("update");
            assertThatThrownBy(() -> s.updateSessionData(KEY, d -> null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("updated data");
            assertThatThrownBy(() -> UserMemory.create("alice", " ", null, null))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memory");
            assertThatThrownBy(() -> Message.builder(dev.agnomemory.core.Role.USER)
                    .toolCalls(List.of(new dev.agnomemory.core.ToolCall("1", "t", "{}"))).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("toolCalls");
        }
    }

    private boolean filesContain(String text) {
        return StoreFixtures.filesContain(dir, text);
    }
}
