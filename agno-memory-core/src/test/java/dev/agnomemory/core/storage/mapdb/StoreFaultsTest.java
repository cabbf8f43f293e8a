package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.agnomemory.core.testing.Texts.assertSameTexts;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
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
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Locked, foreign, damaged and newer files; deletes purged from disk; bad arguments. */
class StoreFaultsTest {

    @TempDir
    Path dir;

    private static final SessionKey KEY = SessionKey.of("alice", "s1");

    private Path file() {
        return dir.resolve("memory.db");
    }

    private void writeRuns(Path file, int runs) {
        try (MapDbStorage s = MapDbStorage.builder().file(file).checkpointEvery(5).build()) {
            s.getOrCreateSession(KEY, null);
            for (int i = 0; i < runs; i++) {
                s.appendMessage(KEY, "r" + i, Message.user("question " + i));
                s.appendMessage(KEY, "r" + i, Message.assistant("answer " + i));
                s.completeRun(KEY, "r" + i);
            }
        }
    }

    private static void assertRuns(MapDbStorage s, int runs) {
        List<Run> all = s.runs(KEY).toList();
        assertThat(all).hasSize(runs);
        for (int i = 0; i < runs; i++) {
            assertThat(all.get(i).runId()).isEqualTo("r" + i);
            assertThat(all.get(i).messages()).extracting(Message::content)
                    .containsExactly("question " + i, "answer " + i);
        }
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
        Files.delete(dir.resolve("memory.db.journal"));
        byte[] before = Files.readAllBytes(file());
        assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining("journal").hasMessageContaining("missing");
        assertThat(Files.readAllBytes(file())).isEqualTo(before);
    }

    @Test
    void truncatedJournalHeaderIsRefusedAndLeftUntouched() throws IOException {
        writeRuns(file(), 2);
        Path journal = dir.resolve("memory.db.journal");
        try (RandomAccessFile raf = new RandomAccessFile(journal.toFile(), "rw")) {
            raf.setLength(10);
        }
        byte[] before = Files.readAllBytes(journal);
        assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(journal.toString());
        assertThat(Files.readAllBytes(journal)).isEqualTo(before);
    }

    @Test
    void journalCorruptInTheMiddleIsRefusedAndLeftUntouched() throws IOException {
        writeRuns(file(), 20);
        Path journal = dir.resolve("memory.db.journal");
        byte[] bytes = Files.readAllBytes(journal);
        bytes[bytes.length / 2] ^= 0x5A;
        Files.write(journal, bytes);
        byte[] index = Files.readAllBytes(file());

        assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining(journal.toString()).hasMessageContaining("corrupt");
        assertThat(Files.readAllBytes(journal)).isEqualTo(bytes);
        assertThat(Files.readAllBytes(file())).isEqualTo(index);
    }

    @Test
    void tornJournalTailFromACrashIsDiscardedAndEverythingElseKept() throws IOException {
        writeRuns(file(), 5);
        Path journal = dir.resolve("memory.db.journal");
        long size = Files.size(journal);
        // a frame whose write was cut off: a plausible length, then only part of the bytes
        try (RandomAccessFile raf = new RandomAccessFile(journal.toFile(), "rw")) {
            raf.seek(size);
            raf.writeInt(500);
            raf.write(new byte[37]);
        }
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file())) {
            assertRuns(s, 5);
            assertThat(log.text()).contains("discarding 41 bytes");
            s.appendMessage(KEY, "r5", Message.user("question 5"));
            s.appendMessage(KEY, "r5", Message.assistant("answer 5"));
            s.completeRun(KEY, "r5");
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
        Path journal = dir.resolve("memory.db.journal");
        byte[] bytes = Files.readAllBytes(journal);
        bytes[11] = 9; // format version (big-endian int after the 8-byte magic)
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, 28);
        int c = (int) crc.getValue();
        bytes[28] = (byte) (c >>> 24);
        bytes[29] = (byte) (c >>> 16);
        bytes[30] = (byte) (c >>> 8);
        bytes[31] = (byte) c;
        Files.write(journal, bytes);

        assertThatThrownBy(() -> MapDbStorage.open(file())).isInstanceOf(StoreFormatException.class)
                .hasMessageContaining("version 9").hasMessageContaining("newer");
        assertThat(Files.readAllBytes(journal)).isEqualTo(bytes);
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
    void deletedContentIsPurgedWithinThePurgeDelayWhileOpen() throws Exception {
        String secret = "PURGE-ME-" + "k5l6m7".repeat(3);
        try (MapDbStorage s = MapDbStorage.builder().file(file()).purgeDelay(Duration.ofMillis(200)).build()) {
            s.getOrCreateSession(KEY, null);
            s.appendMessage(KEY, "r1", Message.user(secret));
            s.completeRun(KEY, "r1");
            s.checkpoint();
            s.deleteSession(KEY);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (filesContain(secret) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(filesContain(secret)).as("deleted content still on disk 20 s after the delete").isFalse();
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
    void aPurgeInterruptedByACrashRunsAtTheNextOpen() throws IOException {
        String secret = "CRASHED-" + "p0o9i8".repeat(3);
        Path file = file();
        try (MapDbStorage s = MapDbStorage.builder().file(file).purgeDelay(Duration.ofHours(1)).build()) {
            s.getOrCreateSession(KEY, null);
            s.appendMessage(KEY, "r1", Message.user(secret));
            s.completeRun(KEY, "r1");
            s.deleteSession(KEY);
            // simulate a crash before the purge: copy the files as they are now, while open
            for (String name : List.of("memory.db", "memory.db.journal")) {
                Files.copy(dir.resolve(name), dir.resolve("crashed-" + name));
            }
        }
        Path crashed = dir.resolve("crashed-memory.db");
        assertThat(Files.readAllBytes(dir.resolve("crashed-memory.db.journal")))
                .as("journal copy holds the secret").asString(StandardCharsets.UTF_8).contains(secret);
        try (MapDbStorage s = MapDbStorage.open(crashed)) {
            assertThat(s.session(KEY)).isEmpty();
        }
        assertThat(Files.readAllBytes(dir.resolve("crashed-memory.db.journal"))).asString(StandardCharsets.UTF_8)
                .doesNotContain(secret);
        assertThat(Files.readAllBytes(crashed)).asString(StandardCharsets.UTF_8).doesNotContain(secret);
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

    private boolean filesContain(String text) throws IOException {
        byte[] needle = text.getBytes(StandardCharsets.UTF_8);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                if (indexOf(Files.readAllBytes(p), needle) >= 0) {
                    return true;
                }
            }
        }
        return false;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
