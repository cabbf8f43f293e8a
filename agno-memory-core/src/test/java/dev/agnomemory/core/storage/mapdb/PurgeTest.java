package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.testing.TickingClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Purges (compaction) rewrite the journal and the index without deleted content, without stopping writers, and
 * follow their policy: a deadline after a delete, not one rewrite per delete.
 */
class PurgeTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("memory.db");
    }

    /** Writers and readers go on while compactions run; nothing acknowledged is lost, nothing deleted is kept. */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void compactionsConcurrentWithWritersLoseNothingAndKeepNothingDeleted() throws Exception {
        int threads = 4;
        Map<SessionKey, List<String>> acked = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<String> secrets = new ArrayList<>();
        try (MapDbStorage s = MapDbStorage.builder().file(file()).checkpointEvery(40)
                .purgeDelay(Duration.ofHours(1)).maxSegmentBytes(128 * 1024).build()) {
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                SessionKey key = SessionKey.of("user-" + t, "s");
                s.getOrCreateSession(key, null);
                acked.put(key, new ArrayList<>());
                Thread w = new Thread(() -> {
                    try {
                        for (int i = 0; !stop.get(); i++) {
                            s.appendMessage(key, "r" + i, Message.user(key.userId() + " question " + i));
                            s.appendMessage(key, "r" + i, Message.assistant(key.userId() + " answer " + i));
                            s.completeRun(key, "r" + i);
                            acked.get(key).add("r" + i);
                            assertThat(s.lastRuns(key, 2)).isNotEmpty();
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                });
                workers.add(w);
                w.start();
            }
            for (int round = 0; round < 5; round++) {
                SessionKey doomed = SessionKey.of("doomed", "s" + round);
                String secret = "DOOMED-" + round + "-" + "q".repeat(12);
                secrets.add(secret);
                s.getOrCreateSession(doomed, null);
                for (int i = 0; i < 20; i++) {
                    s.appendMessage(doomed, "r" + i, Message.user(secret + " " + i));
                }
                s.saveMemory(UserMemory.create("doomed", secret + " memory", null, null));
                s.deleteSession(doomed);
                s.deleteMemories("doomed");
                s.compact();
            }
            stop.set(true);
            for (Thread w : workers) {
                w.join();
            }
            assertThat(failures).isEmpty();
            for (String secret : secrets) {
                assertThat(StoreFixtures.filesContain(dir, secret)).as(secret).isFalse();
            }
        }
        try (MapDbStorage s = MapDbStorage.open(file())) {
            for (Map.Entry<SessionKey, List<String>> e : acked.entrySet()) {
                List<Run> runs = s.runs(e.getKey()).toList();
                assertThat(runs).extracting(Run::runId).containsExactlyElementsOf(e.getValue());
                for (Run r : runs) {
                    assertThat(r.messages()).extracting(Message::content).containsExactly(
                            e.getKey().userId() + " question " + r.runId().substring(1),
                            e.getKey().userId() + " answer " + r.runId().substring(1));
                }
            }
            for (int round = 0; round < 5; round++) {
                assertThat(s.session(SessionKey.of("doomed", "s" + round))).isEmpty();
            }
            assertThat(s.memories("doomed")).isEmpty();
        }
    }

    /**
     * Deletes within the purge delay share one compaction, due at the delay after the first; an explicit compaction
     * meanwhile does the work, and the scheduled one then finds nothing to do. Everything runs in the test's thread
     * through a hand-driven scheduler: no sleeps.
     */
    @Test
    void deletesShareOneCompactionDueAtTheDelayAndAnExplicitOneMakesItANoOp() {
        TickingClock clock = new TickingClock();
        ManualScheduler scheduler = new ManualScheduler(clock);
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.builder().file(file()).clock(clock)
                .scheduler(scheduler).purgeDelay(Duration.ofMinutes(1)).build()) {
            for (int i = 0; i < 3; i++) {
                SessionKey key = SessionKey.of("u", "s" + i);
                s.getOrCreateSession(key, null);
                s.appendMessage(key, "r", Message.user("DELETE-ME-" + i + "-xxxxxxxxxx"));
            }
            Instant first = clock.instant();
            s.deleteSession(SessionKey.of("u", "s0"));
            clock.advance(20_000);
            s.deleteSession(SessionKey.of("u", "s1"));
            assertThat(scheduler.pending()).isEqualTo(1);
            assertThat(scheduler.nextDue()).isBetween(first.plusSeconds(59), first.plusSeconds(61));
            clock.advance(45_000);
            assertThat(scheduler.runDue()).isEqualTo(1);
            assertThat(StoreFixtures.filesContain(dir, "DELETE-ME-0")).isFalse();
            assertThat(StoreFixtures.filesContain(dir, "DELETE-ME-1")).isFalse();
            assertThat(StoreFixtures.filesContain(dir, "DELETE-ME-2")).isTrue();
            assertThat(count(log.text(), "Compacted ")).isEqualTo(1);

            s.deleteSession(SessionKey.of("u", "s2"));
            s.compact();
            assertThat(StoreFixtures.filesContain(dir, "DELETE-ME-2")).isFalse();
            clock.advance(120_000);
            scheduler.runDue();
            assertThat(count(log.text(), "Compacted ")).as("the scheduled purge after the explicit one").isEqualTo(2);
        }
    }

    /**
     * Old versions of values that changed (a session state written after every run, summaries replaced, memories
     * edited) make the journal grow without any delete: once they are at least half of what was written, a
     * compaction drops them, and every current value stays.
     */
    @Test
    void oldVersionsOfChangedValuesAreCompactedAwayByTheirShare() {
        TickingClock clock = new TickingClock();
        ManualScheduler scheduler = new ManualScheduler(clock);
        SessionKey key = SessionKey.of("alice", "s1");
        String big = "{\"notes\":\"" + "n".repeat(20_000) + "\",\"turn\":";
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.builder().file(file()).clock(clock)
                .scheduler(scheduler).build()) {
            s.getOrCreateSession(key, null);
            for (int i = 0; i < 500 && scheduler.pending() == 0; i++) {
                int turn = i;
                s.updateSessionState(key, st -> big + turn + "}");
                s.saveSummary(key, new SessionSummary("summary " + turn, List.of(), turn, Instant.EPOCH));
            }
            assertThat(scheduler.pending()).as("a compaction was scheduled by the share of old versions").isOne();
            scheduler.runDue();
            assertThat(log.text()).contains("Compacted ");
            Session session = s.session(key).orElseThrow();
            assertThat(session.state()).startsWith(big);
            assertThat(session.summary().orElseThrow().summary()).startsWith("summary ");
        }
        long journalBytes = StoreFixtures.segments(file()).stream().mapToLong(p -> p.toFile().length()).sum();
        assertThat(journalBytes).as("journal after compaction").isLessThan(1_000_000);
    }

    /** Embeddings of deleted memories go with them; those of kept memories survive a compaction. */
    @Test
    void compactionKeepsCurrentMemoriesAndEmbeddingsAndTheirHistories() {
        try (MapDbStorage s = MapDbStorage.open(file())) {
            UserMemory kept = UserMemory.create("alice", "Alice likes tea", null, null);
            UserMemory gone = UserMemory.create("alice", "Alice had a cat", null, null);
            s.saveMemory(kept);
            s.saveMemory(gone);
            s.saveMemoryEmbedding(new MemoryEmbedding("alice", kept.memoryId(), "m", "Alice likes tea",
                    new float[] {1, 2}));
            s.saveMemoryEmbedding(new MemoryEmbedding("alice", gone.memoryId(), "m", "Alice had a cat",
                    new float[] {3, 4}));
            UserMemory edited = new UserMemory(kept.memoryId(), "alice", "Alice likes green tea", List.of(), null,
                    kept.createdAt(), kept.updatedAt(), kept.agentId());
            s.saveMemory(edited);
            s.deleteMemory("alice", gone.memoryId());
            long version = s.memoriesVersion("alice");
            s.compact();
            assertThat(s.memories("alice")).containsExactly(edited);
            assertThat(s.memoryEmbeddings("alice")).extracting(MemoryEmbedding::memoryId)
                    .containsExactly(kept.memoryId());
            assertThat(s.memoryHistory("alice", kept.memoryId())).hasSize(2);
            assertThat(s.memoryHistory("alice", gone.memoryId())).hasSize(2);
            assertThat(s.memoriesVersion("alice")).isEqualTo(version);
        }
        try (MapDbStorage s = MapDbStorage.open(file())) {
            assertThat(s.memories("alice")).extracting(UserMemory::memory).containsExactly("Alice likes green tea");
        }
    }

    /**
     * A run that takes messages while a compaction rewrites the journal: its earlier messages move to the snapshot,
     * its later ones are after the cut; both must be read from their right places, before and after a checkpoint and
     * a reopen.
     */
    @Test
    void aRunWrittenToDuringACompactionKeepsEveryMessage() {
        SessionKey key = SessionKey.of("alice", "s1");
        MapDbStorage[] store = new MapDbStorage[1];
        try (MapDbStorage s = MapDbStorage.builder().file(file()).purgeDelay(Duration.ofHours(1))
                .stageListener(stage -> {
                    if (stage.equals("compaction: cut")) {
                        store[0].appendMessage(key, "long-run", Message.user("during the compaction"));
                    }
                }).build()) {
            store[0] = s;
            s.getOrCreateSession(key, null);
            s.appendMessage(key, "long-run", Message.user("before the checkpoint"));
            s.checkpoint();
            s.appendMessage(key, "long-run", Message.user("before the compaction"));
            s.compact();
            s.appendMessage(key, "long-run", Message.user("after the compaction"));
            assertThat(s.lastRuns(key, 1).get(0).messages()).extracting(Message::content).containsExactly(
                    "before the checkpoint", "before the compaction", "during the compaction", "after the compaction");
            s.checkpoint();
            assertThat(s.lastRuns(key, 1).get(0).messages()).hasSize(4);
        }
        try (MapDbStorage s = MapDbStorage.open(file())) {
            assertThat(s.lastRuns(key, 1).get(0).messages()).extracting(Message::content).containsExactly(
                    "before the checkpoint", "before the compaction", "during the compaction", "after the compaction");
        }
    }

    /**
     * The old index and the replaced segments are closed after readers and writers are let go (closing a large
     * deleted file frees its blocks, which took 100 ms of a purge's stall): at that moment reads and writes already
     * go to the new files, and once the compaction returns no handle of a deleted store file is left open.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void readsAndWritesGoOnBeforeTheReplacedFilesAreClosedAndNoneIsLeftOpen() throws Exception {
        SessionKey key = SessionKey.of("alice", "s1");
        SessionKey doomed = SessionKey.of("bob", "s1");
        MapDbStorage[] store = new MapDbStorage[1];
        List<String> seenWhileSwapped = new ArrayList<>();
        java.util.concurrent.ExecutorService other = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (MapDbStorage s = MapDbStorage.builder().file(file()).purgeDelay(Duration.ofHours(1))
                .maxSegmentBytes(64 * 1024).stageListener(stage -> {
                    if (stage.equals("index swapped")) {
                        try {
                            // another thread, as a user's call would be, while the old files are still open
                            seenWhileSwapped.addAll(other.submit(() -> {
                                store[0].appendMessage(key, "r-during", Message.user("written after the swap"));
                                List<String> texts = new ArrayList<>();
                                for (Run run : store[0].lastRuns(key, 1000)) {
                                    run.messages().forEach(m -> texts.add(m.content()));
                                }
                                return texts;
                            }).get(30, TimeUnit.SECONDS));
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }).build()) {
            store[0] = s;
            s.getOrCreateSession(key, null);
            s.getOrCreateSession(doomed, null);
            for (int i = 0; i < 300; i++) {
                s.appendMessage(key, "r" + i, Message.user("message " + i + " " + "x".repeat(200)));
                s.appendMessage(doomed, "r" + i, Message.user("doomed " + i + " " + "y".repeat(200)));
            }
            s.deleteSession(doomed);
            s.compact();
            assertThat(seenWhileSwapped).hasSize(301);
            assertThat(seenWhileSwapped.get(0)).startsWith("message 0 ");
            assertThat(seenWhileSwapped.get(300)).isEqualTo("written after the swap");
            assertThat(deletedStoreFilesStillOpen()).isEmpty();
            assertThat(s.lastRuns(key, 1000)).hasSize(301);
        } finally {
            other.shutdownNow();
        }
    }

    /**
     * A new index holds runs encoded except the few touched last: runs that get more messages, finish, or lose their
     * session long after hundreds of other runs were written come out of the compaction and of a rebuild exactly as
     * they went in.
     */
    @Test
    void runsTouchedAgainLongAfterOthersSurviveCompactionAndRebuild() throws Exception {
        SessionKey key = SessionKey.of("alice", "long");
        SessionKey doomed = SessionKey.of("bob", "doomed");
        try (MapDbStorage s = MapDbStorage.builder().file(file()).purgeDelay(Duration.ofHours(1)).build()) {
            s.getOrCreateSession(key, null);
            s.getOrCreateSession(doomed, null);
            s.appendMessage(key, "slow", Message.user("first of the slow run"));
            for (int i = 0; i < 700; i++) {
                SessionKey other = SessionKey.of("user-" + (i % 7), "s" + (i % 7));
                s.getOrCreateSession(other, null);
                s.appendMessage(other, "r" + i, Message.user("other " + i));
                s.completeRun(other, "r" + i);
                s.appendMessage(doomed, "d" + i, Message.user("doomed " + i));
                if (i == 350) {
                    s.appendMessage(key, "slow", Message.assistant("middle of the slow run"));
                }
            }
            s.appendMessage(key, "slow", Message.assistant("last of the slow run"));
            s.completeRun(key, "slow");
            s.deleteSession(doomed);
            s.compact();
            assertSlowRunAndOthers(s, key, doomed);
        }
        try (MapDbStorage s = MapDbStorage.open(file())) {
            assertSlowRunAndOthers(s, key, doomed);
        }
        java.nio.file.Files.write(file(), new byte[] {0x4A, 1, 2, 3}); // damaged: rebuilt from the journal
        try (LogCapture log = new LogCapture(); MapDbStorage s = MapDbStorage.open(file())) {
            assertThat(log.text()).contains("rebuilding it from the journal");
            assertSlowRunAndOthers(s, key, doomed);
        }
    }

    private static void assertSlowRunAndOthers(MapDbStorage s, SessionKey key, SessionKey doomed) {
        List<Run> runs = s.lastRuns(key, 10);
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0).status()).isEqualTo(dev.agnomemory.core.RunStatus.COMPLETED);
        assertThat(runs.get(0).messages()).extracting(Message::content).containsExactly("first of the slow run",
                "middle of the slow run", "last of the slow run");
        assertThat(s.session(doomed)).isEmpty();
        for (int u = 0; u < 7; u++) {
            List<Run> other = s.lastRuns(SessionKey.of("user-" + u, "s" + u), 1000);
            assertThat(other).hasSize(100);
            for (int j = 0; j < other.size(); j++) {
                int i = u + 7 * j;
                assertThat(other.get(j).messages()).extracting(Message::content).containsExactly("other " + i);
                assertThat(other.get(j).status()).isEqualTo(dev.agnomemory.core.RunStatus.COMPLETED);
            }
        }
    }

    /** Store files this process still holds open although they were deleted (Linux; empty elsewhere). */
    private List<String> deletedStoreFilesStillOpen() throws java.io.IOException {
        List<String> open = new ArrayList<>();
        Path fds = Path.of("/proc/self/fd");
        if (!java.nio.file.Files.isDirectory(fds)) {
            return open;
        }
        try (var links = java.nio.file.Files.list(fds)) {
            for (Path fd : links.toList()) {
                try {
                    String target = java.nio.file.Files.readSymbolicLink(fd).toString();
                    if (target.startsWith(dir.toString()) && target.endsWith("(deleted)")) {
                        open.add(target);
                    }
                } catch (java.io.IOException | UnsupportedOperationException gone) {
                    // closed while listed
                }
            }
        }
        return open;
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }
}
