package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writers on many sessions (some shared by several threads) with readers scanning newest runs at the same time:
 * nothing lost, duplicated or reordered, and no read fails (MapDB's newest-first reads race with writers unless
 * the storage's lock keeps them apart).
 */
class ConcurrencyTest {

    @TempDir
    Path dir;

    private static final int WRITERS = 10;
    private static final int READERS = 3;
    private static final int RUNS_PER_WRITER = 60;

    @Test
    void concurrentWritersAndReadersKeepEverySessionIntactAndInOrder() throws Exception {
        Path file = dir.resolve("concurrent.db");
        // Writers 0..5 each own a session; writers 6..9 share two sessions, two writers per session.
        Map<Integer, SessionKey> sessionOf = new HashMap<>();
        for (int w = 0; w < WRITERS; w++) {
            sessionOf.put(w, w < 6 ? SessionKey.of("user-" + w, "own") : SessionKey.of("shared-user",
                    "shared-" + (w % 2)));
        }
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong reads = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS + READERS);
        try (MapDbStorage storage = MapDbStorage.builder().file(file).checkpointEvery(500).build()) {
            for (SessionKey key : new HashSet<>(sessionOf.values())) {
                storage.getOrCreateSession(key, null);
            }
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                SessionKey key = sessionOf.get(w);
                boolean shared = w >= 6;
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int r = 0; r < RUNS_PER_WRITER; r++) {
                        if (shared) {
                            // Writers of a shared session add to one open run: concurrent runs in one session
                            // cannot both be current, but their messages must still all land, each once.
                            storage.appendMessage(key, "shared-run", Message.user(text(writer, r, 0)));
                        } else {
                            String runId = "w" + writer + "-r" + r;
                            for (int m = 0; m < 3; m++) {
                                storage.appendMessage(key, runId, m % 2 == 0 ? Message.user(text(writer, r, m))
                                        : Message.assistant(text(writer, r, m)));
                            }
                            storage.completeRun(key, runId);
                        }
                    }
                    return null;
                }));
            }
            for (int i = 0; i < READERS; i++) {
                int reader = i;
                pool.submit(() -> {
                    start.await();
                    while (writing.get()) {
                        try {
                            SessionKey key = sessionOf.get((int) (reads.get() % WRITERS));
                            List<Run> last = storage.lastRuns(key, 3);
                            assertThat(last.size()).isLessThanOrEqualTo(3);
                            if (reader == 0) {
                                storage.runs(key).forEach(run -> assertThat(run.messages()).isNotEmpty());
                            }
                            storage.sessions(dev.agnomemory.core.storage.SessionFilter.any());
                            reads.incrementAndGet();
                        } catch (Throwable t) {
                            errors.add(t);
                        }
                    }
                    return null;
                });
            }
            start.countDown();
            for (Future<?> f : writers) {
                f.get(3, TimeUnit.MINUTES);
            }
            writing.set(false);
            pool.shutdown();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
            assertThat(errors).as("errors in readers").isEmpty();
            assertThat(reads.get()).as("reads done during the writes").isPositive();
            verify(storage, sessionOf);
        } finally {
            pool.shutdownNow();
        }
        try (MapDbStorage reopened = MapDbStorage.open(file)) {
            verify(reopened, sessionOf);
        }
    }

    private static void verify(MapDbStorage storage, Map<Integer, SessionKey> sessionOf) {
        for (int w = 0; w < 6; w++) {
            List<Run> runs = storage.runs(sessionOf.get(w)).toList();
            assertThat(runs).hasSize(RUNS_PER_WRITER);
            for (int r = 0; r < RUNS_PER_WRITER; r++) {
                Run run = runs.get(r);
                assertThat(run.runId()).isEqualTo("w" + w + "-r" + r);
                assertThat(run.completed()).isTrue();
                assertThat(run.messages()).extracting(Message::content)
                        .containsExactly(text(w, r, 0), text(w, r, 1), text(w, r, 2));
            }
        }
        for (int s = 0; s < 2; s++) {
            SessionKey key = SessionKey.of("shared-user", "shared-" + s);
            List<Run> runs = storage.runs(key).toList();
            assertThat(runs).hasSize(1);
            List<String> contents = runs.get(0).messages().stream().map(Message::content).toList();
            assertThat(contents).hasSize(2 * RUNS_PER_WRITER).doesNotHaveDuplicates();
            Set<String> ids = new HashSet<>();
            runs.get(0).messages().forEach(m -> ids.add(m.id()));
            assertThat(ids).hasSize(2 * RUNS_PER_WRITER);
            for (int w = 6; w < WRITERS; w++) {
                if (w % 2 != s) {
                    continue;
                }
                int writer = w;
                List<String> mine = contents.stream().filter(c -> c.startsWith("writer " + writer + " ")).toList();
                List<String> expected = new ArrayList<>();
                for (int r = 0; r < RUNS_PER_WRITER; r++) {
                    expected.add(text(writer, r, 0));
                }
                assertThat(mine).as("messages of writer %d in their order", writer).isEqualTo(expected);
            }
        }
    }

    private static String text(int writer, int run, int message) {
        return "writer " + writer + " run " + run + " message " + message + " " + "x".repeat(50);
    }
}
