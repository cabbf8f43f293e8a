package dev.agnomemory.core.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.testing.PostgresServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults for real, on a server of this class's own: connections terminated in the middle of calls
 * ({@code pg_terminate_backend}), a server restart, and SIGKILL of every PostgreSQL process during writes followed by
 * a restart on the same data directory.
 */
class PostgresFaultsTest {

    private static final SessionKey ALICE = SessionKey.of("alice", "s1");

    @TempDir
    static Path dir;

    private static RestartablePostgres server;
    private static HikariDataSource pool;
    private static int schemas;

    @BeforeAll
    static void startServer() {
        server = new RestartablePostgres(dir.resolve("data"));
        pool = PostgresServer.pool(server.jdbcUrl(), 8);
        pool.setConnectionTimeout(1000); // a call while the server is down fails after 1 s, not 30
    }

    @AfterAll
    static void stopServer() {
        pool.close();
        server.close();
    }

    private static PostgresStorage open() {
        return PostgresStorage.builder().dataSource(pool).schema("faults_" + ++schemas).build();
    }

    @Test
    void aConnectionLostDuringAnAppendFailsNamingItAndStoresNoPartOfTheBatch() throws Exception {
        PostgresStorage storage = open();
        storage.getOrCreateSession(ALICE, null);
        storage.appendMessage(ALICE, "r1", Message.user("before"));
        long version = storage.sessionVersion(ALICE).orElseThrow();

        Throwable failure = terminatedWhileBlocked(storage.schema(), "append_messages",
                () -> storage.appendMessages(ALICE, "r2", List.of(Message.user("q2"), Message.assistant("a2"))));

        assertThat(failure).isInstanceOf(StorageException.class)
                .hasMessageContaining("Appending 2 messages to run r2 of session s1 of user alice failed")
                .hasMessageContaining("connection");
        assertThat(storage.sessionVersion(ALICE)).hasValue(version);
        assertThat(storage.lastRuns(ALICE, 5)).extracting(Run::runId).containsExactly("r1");
        assertThat(storage.appendMessages(ALICE, "r2", List.of(Message.user("q2"), Message.assistant("a2"))))
                .as("the next call works on a fresh connection")
                .containsExactly(new MessagePosition(1, 0), new MessagePosition(1, 1));
    }

    @Test
    void aConnectionLostWhileFinishingLeavesTheRunRunningNotCompleted() throws Exception {
        PostgresStorage storage = open();
        storage.getOrCreateSession(ALICE, null);
        storage.appendMessages(ALICE, "r1", List.of(Message.user("q"), Message.assistant("a")));

        Throwable failure = terminatedWhileBlocked(storage.schema(), "finish_run",
                () -> storage.completeRun(ALICE, "r1"));

        assertThat(failure).isInstanceOf(StorageException.class)
                .hasMessageContaining("Finishing run r1 of session s1 of user alice failed");
        Run run = storage.lastRuns(ALICE, 1).get(0);
        assertThat(run.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(run.finishedAt()).isEmpty();
        storage.completeRun(ALICE, "r1");
        assertThat(storage.lastCompletedRuns(ALICE, 1)).extracting(Run::runId).containsExactly("r1");
    }

    @Test
    void aConnectionLostDuringAReadFailsNamingIt() throws Exception {
        PostgresStorage storage = open();
        storage.getOrCreateSession(ALICE, null);
        storage.appendMessage(ALICE, "r1", Message.user("q"));
        Throwable failure;
        try (Connection blocker = DriverManager.getConnection(server.jdbcUrl())) {
            blocker.setAutoCommit(false);
            try (Statement s = blocker.createStatement()) {
                s.execute("LOCK TABLE " + storage.schema() + ".messages IN ACCESS EXCLUSIVE MODE");
            }
            failure = terminateWaiting(blocker, "lastRuns", () -> storage.lastRuns(ALICE, 3));
            blocker.rollback();
        }
        assertThat(failure).isInstanceOf(StorageException.class)
                .hasMessageContaining("Reading the last 3 runs of session s1 of user alice failed")
                .hasMessageContaining("connection");
        assertThat(storage.lastRuns(ALICE, 3)).hasSize(1);
    }

    @Test
    void theNextCallAfterAServerRestartWorks() {
        PostgresStorage storage = open();
        storage.getOrCreateSession(ALICE, null);
        storage.appendMessage(ALICE, "r1", Message.user("before the restart"));
        server.stop();
        try {
            assertThatThrownBy(() -> storage.appendMessage(ALICE, "r1", Message.assistant("while down")))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("Appending a message to run r1 of session s1 of user alice failed");
        } finally {
            server.start();
        }
        storage.appendMessage(ALICE, "r1", Message.assistant("after the restart"));
        storage.completeRun(ALICE, "r1");
        assertThat(storage.lastCompletedRuns(ALICE, 1).get(0).messages()).extracting(Message::content)
                .containsExactly("before the restart", "after the restart");
    }

    private static final int WRITERS = 4;

    /**
     * Writers on their own sessions append runs (a batch of two messages, then finish) while every PostgreSQL
     * process is killed with SIGKILL; after a restart on the same data directory, every acknowledged write is there,
     * and no run holds part of a batch.
     */
    @Test
    void sigkillOfTheServerDuringWritesLosesNoAcknowledgedWrite() throws Exception {
        PostgresStorage storage = open();
        Map<Integer, Set<Integer>> appended = new ConcurrentHashMap<>();
        Map<Integer, Set<Integer>> finished = new ConcurrentHashMap<>();
        for (int w = 0; w < WRITERS; w++) {
            storage.getOrCreateSession(SessionKey.of("writer-" + w, "s"), null);
            appended.put(w, ConcurrentHashMap.newKeySet());
            finished.put(w, ConcurrentHashMap.newKeySet());
        }
        CountDownLatch progress = new CountDownLatch(200);
        ExecutorService threads = Executors.newFixedThreadPool(WRITERS);
        List<Future<Throwable>> endings = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            SessionKey key = SessionKey.of("writer-" + w, "s");
            endings.add(threads.submit(() -> {
                try {
                    for (int r = 0; r < 100_000; r++) {
                        storage.appendMessages(key, "r" + r, List.of(Message.user(writer + "/" + r + " q"),
                                Message.assistant(writer + "/" + r + " a")));
                        appended.get(writer).add(r);
                        progress.countDown();
                        storage.completeRun(key, "r" + r);
                        finished.get(writer).add(r);
                        progress.countDown();
                    }
                    return null;
                } catch (StorageException expected) {
                    return expected;
                }
            }));
        }
        try {
            assertThat(progress.await(2, TimeUnit.MINUTES)).as("writers made progress").isTrue();
            server.kill();
            for (Future<Throwable> ending : endings) {
                assertThat(ending.get(2, TimeUnit.MINUTES)).as("each writer stops at a StorageException")
                        .isInstanceOf(StorageException.class);
            }
        } finally {
            threads.shutdownNow();
            server.start();
        }

        PostgresStorage reopened = PostgresStorage.builder().dataSource(pool).schema(storage.schema()).build();
        int acknowledged = 0;
        for (int w = 0; w < WRITERS; w++) {
            List<Run> runs = reopened.runs(SessionKey.of("writer-" + w, "s")).toList();
            for (int r : appended.get(w)) {
                assertThat(runs.size()).as("writer %d run %d is there", w, r).isGreaterThan(r);
            }
            assertThat(runs.size()).as("at most the one unacknowledged append more")
                    .isBetween(appended.get(w).size(), appended.get(w).size() + 1);
            for (Run run : runs) {
                int r = Integer.parseInt(run.runId().substring(1));
                assertThat(run.messages()).as("writer %d run %d is whole", w, r).extracting(Message::content)
                        .containsExactly(w + "/" + r + " q", w + "/" + r + " a");
                if (finished.get(w).contains(r)) {
                    assertThat(run.status()).as("acknowledged finish of writer %d run %d", w, r)
                            .isEqualTo(RunStatus.COMPLETED);
                }
            }
            acknowledged += appended.get(w).size() + finished.get(w).size();
        }
        assertThat(acknowledged).isGreaterThanOrEqualTo(200);
        SessionKey next = SessionKey.of("after", "crash");
        reopened.getOrCreateSession(next, null);
        reopened.appendMessage(next, "r0", Message.user("the server recovered"));
        assertThat(reopened.lastRuns(next, 1)).hasSize(1);
    }

    // ---- helpers ----

    /**
     * Locks the session row from another connection, starts {@code call} (which then waits for that lock inside
     * {@code function}), terminates the call's backend with {@code pg_terminate_backend}, and returns what it threw.
     */
    private static Throwable terminatedWhileBlocked(String schema, String function, Runnable call) throws Exception {
        try (Connection blocker = DriverManager.getConnection(server.jdbcUrl())) {
            blocker.setAutoCommit(false);
            try (Statement s = blocker.createStatement()) {
                s.execute("SELECT 1 FROM " + schema + ".sessions WHERE user_id = 'alice' FOR UPDATE");
            }
            Throwable failure = terminateWaiting(blocker, function, call);
            blocker.rollback();
            return failure;
        }
    }

    private static Throwable terminateWaiting(Connection blocker, String what, Runnable call) throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            Future<Throwable> outcome = thread.submit(() -> {
                try {
                    call.run();
                    return null;
                } catch (RuntimeException e) {
                    return e;
                }
            });
            long pid = waitingBackend(blocker, what);
            try (Statement s = blocker.createStatement()) {
                s.execute("SELECT pg_terminate_backend(" + pid + ")");
            }
            Throwable failure = outcome.get(1, TimeUnit.MINUTES);
            assertThat(failure).as("the call on the terminated connection fails").isNotNull();
            return failure;
        } finally {
            thread.shutdownNow();
        }
    }

    /** The backend that waits for a lock while running the call; polls, bounded, until it is there. */
    private static long waitingBackend(Connection blocker, String what) throws SQLException, InterruptedException {
        for (int attempt = 0; attempt < 3000; attempt++) {
            try (Statement s = blocker.createStatement();
                    ResultSet rs = s.executeQuery("SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                            + "AND pid <> pg_backend_pid()")) {
                if (rs.next()) {
                    return rs.getLong(1);
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no backend started waiting for the lock during " + what);
    }
}
