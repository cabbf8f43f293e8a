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
     * While a checkpoint holds the index to apply a batch of changes, a writer starting a new run (whose id must be
     * looked up in the index) and one finishing it go on: a write waits only for MapDB's commit.
     */
    @Test
    void writersStartingAndFinishingRunsGoOnWhileACheckpointAppliesItsChanges() throws Exception {
        SessionKey key = SessionKey.of("alice", "s1");
        MapDbStorage[] store = new MapDbStorage[1];
        AtomicInteger writtenDuringApply = new AtomicInteger();
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (MapDbStorage s = MapDbStorage.builder().file(dir.resolve("store.db")).checkpointEvery(1_000_000)
                .stageListener(stage -> {
                    if (stage.equals("checkpoint: batch applied, lock held") && writtenDuringApply.get() == 0) {
                        try {
                            // another thread, as a user's call would be, while this one holds the index
                            other.submit(() -> {
                                String runId = "during-checkpoint";
                                store[0].appendMessage(key, runId, Message.user("asked during the checkpoint"));
                                store[0].finishRun(key, runId, List.of(Message.assistant("answered")),
                                        RunOutcome.completed());
                                return null;
                            }).get(30, TimeUnit.SECONDS);
                            writtenDuringApply.incrementAndGet();
                        } catch (Exception e) {
                            throw new IllegalStateException("a write waited for the checkpoint", e);
                        }
                    }
                }).build()) {
            store[0] = s;
            s.getOrCreateSession(key, null);
            for (int i = 0; i < 300; i++) {
                s.appendMessage(key, "r" + i, Message.user("message " + i));
                s.finishRun(key, "r" + i, RunOutcome.completed());
            }
            s.checkpoint();
            assertThat(writtenDuringApply).hasValue(1);
            List<Run> runs = s.lastRuns(key, 2);
            assertThat(runs).extracting(Run::runId).containsExactly("r299", "during-checkpoint");
            assertThat(runs.get(1).messages()).extracting(Message::content)
                    .containsExactly("asked during the checkpoint", "answered");
        } finally {
            other.shutdownNow();
        }
        try (MapDbStorage s = MapDbStorage.open(dir.resolve("store.db"))) {
            assertThat(s.lastRuns(key, 1).get(0).messages()).hasSize(2);
            assertThat(s.lastRuns(key, 400)).hasSize(301);
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
