package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.SessionKey;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints write the changes held in memory into the index without holding writers up. */
class CheckpointTest {

    @TempDir
    Path dir;

    /**
     * A stage listener that, at {@code stage}, writes one run from another thread (as a user's call would be, while
     * the maintenance thread is at that stage) and waits for it, failing the stage when the write does not finish.
     */
    private static final class RunAtStage implements java.util.function.Consumer<String> {
        private final String stage;
        private final SessionKey key;
        private final String runId;
        private final ExecutorService other = Executors.newSingleThreadExecutor();
        final AtomicInteger written = new AtomicInteger();
        volatile MapDbStorage store;

        RunAtStage(String stage, SessionKey key, String runId) {
            this.stage = stage;
            this.key = key;
            this.runId = runId;
        }

        @Override
        public void accept(String reached) {
            if (!reached.equals(stage) || store == null || written.get() > 0) {
                return;
            }
            try {
                other.submit(() -> {
                    store.appendMessage(key, runId, Message.user("asked meanwhile"));
                    store.finishRun(key, runId, List.of(Message.assistant("answered")), RunOutcome.completed());
                    return null;
                }).get(20, TimeUnit.SECONDS);
                written.incrementAndGet();
            } catch (Exception e) {
                throw new IllegalStateException("a write waited at " + stage, e);
            }
        }

        void shutdown() {
            other.shutdownNow();
        }
    }

    private static void writeRuns(MapDbStorage s, SessionKey key, int from, int to) {
        for (int i = from; i < to; i++) {
            s.appendMessage(key, "r" + i, Message.user("message " + i));
            s.finishRun(key, "r" + i, RunOutcome.completed());
        }
    }

    /**
     * While a checkpoint holds the index to apply a batch of changes, a writer starting a new run (whose id must be
     * looked up in the index) and one finishing it go on: a write waits only for MapDB's commit.
     */
    @Test
    void writersStartingAndFinishingRunsGoOnWhileACheckpointAppliesItsChanges() {
        SessionKey key = SessionKey.of("alice", "s1");
        RunAtStage during = new RunAtStage("checkpoint: batch applied, lock held", key, "during-checkpoint");
        try (MapDbStorage s = MapDbStorage.builder().file(dir.resolve("store.db")).checkpointEvery(1_000_000)
                .stageListener(during).build()) {
            during.store = s;
            s.getOrCreateSession(key, null);
            writeRuns(s, key, 0, 300);
            s.checkpoint();
            assertThat(during.written).hasValue(1);
            List<Run> runs = s.lastRuns(key, 2);
            assertThat(runs).extracting(Run::runId).containsExactly("r299", "during-checkpoint");
            assertThat(runs.get(1).messages()).extracting(Message::content)
                    .containsExactly("asked meanwhile", "answered");
        } finally {
            during.shutdown();
        }
        try (MapDbStorage s = MapDbStorage.open(dir.resolve("store.db"))) {
            assertThat(s.lastRuns(key, 1).get(0).messages()).hasSize(2);
            assertThat(s.lastRuns(key, 400)).hasSize(301);
        }
    }

    /**
     * While a checkpoint commits (MapDB's commit: single-key lookups in the index wait for it), a writer starting a
     * run with a new id, in a session written since the last checkpoint, goes on: the run id filter tells that the
     * id is new without a lookup. Before the filter, the writer waited for the commit, and every other writer behind
     * it for the store's writer lock.
     */
    @Test
    void aWriterStartingARunDoesNotWaitForACheckpointsCommit() {
        SessionKey key = SessionKey.of("alice", "s1");
        RunAtStage during = new RunAtStage("checkpoint: committing, lookups held", key, "during-commit");
        try (MapDbStorage s = MapDbStorage.builder().file(dir.resolve("store.db")).checkpointEvery(1_000_000)
                .stageListener(during).build()) {
            s.getOrCreateSession(key, null);
            writeRuns(s, key, 0, 200);
            s.checkpoint();
            // from the second checkpoint on: the first built the filter and put its runs into the index
            during.store = s;
            writeRuns(s, key, 200, 400);
            s.checkpoint();
            assertThat(during.written).hasValue(1);
            assertThat(s.lastRuns(key, 2)).extracting(Run::runId).containsExactly("r399", "during-commit");
        } finally {
            during.shutdown();
        }
        try (MapDbStorage s = MapDbStorage.open(dir.resolve("store.db"))) {
            assertThat(s.lastRuns(key, 500)).hasSize(401);
        }
    }

    /**
     * The run id filter answers "new" only for ids that are: every earlier run id of every session is still refused,
     * whether its run reached the index before the filter was built (reopened store), after it (later checkpoints,
     * past the size the filter was built for, so it is built again), or through a compaction's new index; and new
     * ids are taken.
     */
    @Test
    void earlierRunIdsAreRefusedWhateverTheFilterWasBuiltFrom() {
        Path file = dir.resolve("ids.db");
        List<SessionKey> keys = List.of(SessionKey.of("u1", "a"), SessionKey.of("u1", "b"), SessionKey.of("u2", "a"));
        List<SessionKey> live = new java.util.ArrayList<>(keys);
        java.util.Map<SessionKey, List<String>> written = new java.util.HashMap<>();
        java.util.function.BiConsumer<MapDbStorage, Integer> write = (s, count) -> {
            for (int i = 0; i < count; i++) {
                SessionKey k = live.get(i % live.size());
                List<String> ids = written.computeIfAbsent(k, x -> new java.util.ArrayList<>());
                String runId = (i % 2 == 0 ? java.util.UUID.randomUUID().toString() : "run ✓ " + ids.size());
                s.appendMessage(k, runId, Message.user("q"));
                s.finishRun(k, runId, List.of(Message.assistant("a")), RunOutcome.completed());
                ids.add(runId);
            }
        };
        java.util.function.Consumer<MapDbStorage> everyEarlierIdRefused = s -> written.forEach((k, ids) -> {
            for (String id : ids.subList(0, ids.size() - 1)) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.appendMessage(k, id, Message.user("again")))
                        .as("run %s of %s", id, k).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("earlier run");
            }
        });
        try (MapDbStorage s = MapDbStorage.builder().file(file).checkpointEvery(400).build()) {
            keys.forEach(k -> s.getOrCreateSession(k, null));
            write.accept(s, 300);
        }
        try (MapDbStorage s = MapDbStorage.builder().file(file).checkpointEvery(400).build()) {
            everyEarlierIdRefused.accept(s);
            s.checkpoint();
            everyEarlierIdRefused.accept(s);
            // well past twice the 300 runs the filter was built for: built again along the way
            write.accept(s, 9_000);
            s.checkpoint();
            everyEarlierIdRefused.accept(s);
            s.deleteSession(keys.get(1));
            List<String> deletedIds = written.remove(keys.get(1));
            live.remove(keys.get(1));
            s.compact();
            everyEarlierIdRefused.accept(s);
            s.checkpoint();
            everyEarlierIdRefused.accept(s);
            write.accept(s, 30);
            everyEarlierIdRefused.accept(s);
            // the deleted session again, under a new session number: its old run ids are free again
            s.getOrCreateSession(keys.get(1), null);
            live.add(keys.get(1));
            s.appendMessage(keys.get(1), deletedIds.get(0), Message.user("q"));
            s.finishRun(keys.get(1), deletedIds.get(0), RunOutcome.completed());
            written.put(keys.get(1), new java.util.ArrayList<>(List.of(deletedIds.get(0))));
            write.accept(s, 30);
            s.checkpoint();
            everyEarlierIdRefused.accept(s);
        }
        try (MapDbStorage s = MapDbStorage.open(file)) {
            written.forEach((k, ids) -> assertThat(s.lastRuns(k, 100_000)).extracting(Run::runId)
                    .containsExactlyElementsOf(ids));
        }
    }

    /**
     * Writers starting runs (each looking its run id up in the index) and readers of single keys and of runs go on
     * through many checkpoints, whose puts now run beside those lookups: nobody ever finds the index damaged (which
     * would rebuild it), and every run is there, also after reopening.
     */
    @Test
    void lookupsBesideManyCheckpointsNeverFindTheIndexDamaged() throws Exception {
        int writers = 4;
        int runs = 250;
        Path file = dir.resolve("busy.db");
        List<SessionKey> keys = new java.util.ArrayList<>();
        for (int w = 0; w < writers; w++) {
            keys.add(SessionKey.of("user-" + w, "session-" + w));
        }
        ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
        try (LogCapture log = new LogCapture();
                MapDbStorage s = MapDbStorage.builder().file(file).checkpointEvery(150).build()) {
            for (SessionKey k : keys) {
                s.getOrCreateSession(k, null);
            }
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            List<java.util.concurrent.Future<?>> writing = new java.util.ArrayList<>();
            for (SessionKey k : keys) {
                writing.add(pool.submit(() -> {
                    for (int r = 0; r < runs; r++) {
                        String runId = java.util.UUID.randomUUID().toString();
                        s.appendMessage(k, runId, Message.user("question " + r));
                        s.finishRun(k, runId, List.of(Message.assistant("answer " + r)), RunOutcome.completed());
                    }
                    return null;
                }));
            }
            AtomicInteger reads = new AtomicInteger();
            List<java.util.concurrent.Future<?>> reading = new java.util.ArrayList<>();
            for (int t = 0; t < 2; t++) {
                reading.add(pool.submit(() -> {
                    while (!done.get()) {
                        for (SessionKey k : keys) {
                            assertThat(s.session(k)).isPresent();
                            for (Run run : s.lastRuns(k, 3)) {
                                assertThat(run.messages()).isNotEmpty();
                            }
                            reads.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : writing) {
                f.get(120, TimeUnit.SECONDS);
            }
            done.set(true);
            for (java.util.concurrent.Future<?> f : reading) {
                f.get(30, TimeUnit.SECONDS);
            }
            for (SessionKey k : keys) {
                assertThat(s.lastRuns(k, runs + 1)).hasSize(runs);
            }
            assertThat(reads.get()).isPositive();
            assertThat(log.text()).doesNotContain("cannot be trusted").doesNotContain("failed");
        } finally {
            pool.shutdownNow();
        }
        try (MapDbStorage s = MapDbStorage.open(file)) {
            for (SessionKey k : keys) {
                List<Run> all = s.lastRuns(k, runs + 1);
                assertThat(all).hasSize(runs);
                assertThat(all).allSatisfy(run -> assertThat(run.messages()).hasSize(2));
            }
        }
    }
}
