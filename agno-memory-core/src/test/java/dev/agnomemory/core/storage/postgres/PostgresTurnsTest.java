package dev.agnomemory.core.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionTurn;
import dev.agnomemory.core.testing.Eventually;
import dev.agnomemory.core.testing.PostgresServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the turns of PostgresStorage add to the turn contract: two instances (each its own storage and pool, as two
 * application processes have) sharing one session's turn, one line across them, wake-ups by {@code NOTIFY} and by
 * polling, a listener that survives its connection, and rows that exist only while needed.
 */
class PostgresTurnsTest {

    private static final SessionKey ALICE = SessionKey.of("alice", "s1");
    /** Longer than any test: a waiter that has only its poll interval to go by would hang, failing the test. */
    private static final Duration NEVER = Duration.ofMinutes(10);
    private static final Duration LONG = Duration.ofSeconds(60);

    private static PostgresServer.Database database;
    private static int schemas;

    private final List<AutoCloseable> opened = new ArrayList<>();
    private ExecutorService threads;
    private String schema;

    @BeforeAll
    static void createDatabase() {
        database = PostgresServer.shared().createDatabase("pgturns");
    }

    @AfterAll
    static void closeDatabase() {
        database.close();
    }

    @BeforeEach
    void setUp() {
        schema = "pgturns_" + ++schemas;
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() throws Exception {
        threads.shutdownNow();
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
    }

    /** Another application instance: its own pool and storage on the same schema. */
    private PostgresStorage instance(PostgresStorage.Builder settings) {
        HikariDataSource pool = PostgresServer.pool(database.jdbcUrl(), 6);
        opened.add(pool);
        PostgresStorage storage = settings.dataSource(pool).schema(schema).build();
        opened.add(storage);
        return storage;
    }

    /**
     * Leases and polls of 10 minutes and more: a waiter of such an instance that gets a turn within {@link #LONG}
     * was woken by a notification.
     */
    private static PostgresStorage.Builder slowPolling() {
        return PostgresStorage.builder().turnLease(NEVER.multipliedBy(3)).turnPollInterval(NEVER);
    }

    private PostgresStorage instance() {
        return instance(PostgresStorage.builder());
    }

    private <T> T get(Future<T> f) throws Exception {
        return f.get(LONG.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void twoInstancesTakeTurnsOnOneSessionAndRunsNeverInterleave() throws Exception {
        PostgresStorage a = instance();
        PostgresStorage b = instance();
        int perInstance = 3;
        int calls = 8;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < 2 * perInstance; t++) {
            PostgresStorage storage = t % 2 == 0 ? a : b;
            String caller = (t % 2 == 0 ? "a" : "b") + t;
            done.add(threads.submit(() -> {
                for (int i = 0; i < calls; i++) {
                    try (SessionTurn turn = storage.turns().acquire(ALICE, LONG)) {
                        if (inside.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        MemoryStorage writes = turn.storage();
                        writes.getOrCreateSession(ALICE, "agent");
                        String run = caller + "-" + i;
                        writes.appendMessage(ALICE, run, Message.user(run + " q"));
                        writes.appendMessage(ALICE, run, Message.assistant(run + " a"));
                        writes.completeRun(ALICE, run);
                        inside.decrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            get(f);
        }
        assertThat(overlaps).hasValue(0);
        List<Run> runs = a.runs(ALICE).toList();
        assertThat(runs).hasSize(2 * perInstance * calls);
        for (Run run : runs) {
            assertThat(run.messages()).extracting(Message::content).containsExactly(run.runId() + " q",
                    run.runId() + " a");
        }
        assertThat(rows()).as("turn and waiter rows once every call is done").isZero();
    }

    @Test
    void aWaiterOfAnotherInstanceGoesBeforeTheHoldersNextLocalCaller() throws Exception {
        PostgresStorage a = instance();
        PostgresStorage b = instance();
        SessionTurn held = a.turns().acquire(ALICE, Duration.ZERO);
        ConcurrentLinkedQueue<String> served = new ConcurrentLinkedQueue<>();
        Future<?> remote = threads.submit(() -> {
            try (SessionTurn turn = b.turns().acquire(ALICE, LONG)) {
                served.add("b" + turn.epoch());
            }
            return null;
        });
        Eventually.await("b's waiter has a place in line", () -> waiterRows() == 1);
        Future<?> local = threads.submit(() -> {
            try (SessionTurn turn = a.turns().acquire(ALICE, LONG)) {
                served.add("a" + turn.epoch());
            }
            return null;
        });
        Eventually.await("a's waiter has a place in line", () -> waiterRows() == 2);
        held.close();
        get(remote);
        get(local);
        assertThat(served).extracting(s -> s.substring(0, 1)).containsExactly("b", "a");
    }

    @Test
    void aReleaseWakesAWaiterOfAnotherInstanceByNotification() throws Exception {
        handOver(instance(slowPolling()), instance(slowPolling()));
    }

    @Test
    void withoutNotificationsAWaiterGetsTheTurnByPolling() throws Exception {
        PostgresStorage a = instance();
        PostgresStorage b = instance(PostgresStorage.builder().turnNotifications(false)
                .turnPollInterval(Duration.ofMillis(50)));
        SessionTurn held = a.turns().acquire(ALICE, Duration.ZERO);
        Future<SessionTurn> waiter = threads.submit(() -> b.turns().acquire(ALICE, LONG));
        Eventually.await("b waits", () -> waiterRows() == 1);
        held.close();
        get(waiter).close();
        assertThat(b.turnListener()).isNull();
    }

    @Test
    void theListenerConnectsAgainAfterLosingItsConnectionAndWakesWaitersAgain() throws Exception {
        PostgresStorage a = instance(slowPolling());
        PostgresStorage b = instance(slowPolling());
        handOver(a, b);
        PgTurnListener listener = b.turnListener();
        int pid = listener.backendPid();
        assertThat(pid).isPositive();
        terminate(pid);
        Eventually.await("the listener listens on a new connection",
                () -> listener.connections() == 2 && listener.listening());
        assertThat(listener.backendPid()).isNotEqualTo(pid);
        handOver(a, b); // woken by a notification again
    }

    /**
     * A holds the turn, B waits for it, A releases: B must get it by a notification, as both instances' leases and
     * polls are longer than the test waits. B's listener listens before B waits, so the wake-up every waiter gets
     * when the listener (re)connects is not what wakes B.
     */
    private void handOver(PostgresStorage a, PostgresStorage b) throws Exception {
        PgTurnListener listener = b.turnListener();
        listener.start();
        Eventually.await("b listens", listener::listening);
        SessionTurn held = a.turns().acquire(ALICE, Duration.ZERO);
        Future<SessionTurn> waiter = threads.submit(() -> b.turns().acquire(ALICE, NEVER));
        Eventually.await("b waits", () -> waiterRows() == 1);
        held.close();
        SessionTurn taken = get(waiter);
        assertThat(taken.epoch()).isGreaterThan(held.epoch());
        taken.close();
    }

    @Test
    void rowsExistOnlyWhileATurnIsHeldOrWaitedFor() throws Exception {
        PostgresStorage a = instance();
        PostgresStorage b = instance();
        SessionTurn held = a.turns().acquire(ALICE, Duration.ZERO);
        assertThat(turnRows()).isEqualTo(1);
        for (int i = 0; i < 3; i++) {
            Future<?> timesOut = threads.submit(() -> b.turns().acquire(ALICE, Duration.ofMillis(100)));
            try {
                get(timesOut);
            } catch (java.util.concurrent.ExecutionException expected) {
                assertThat(expected.getCause()).isInstanceOf(dev.agnomemory.core.storage.TurnTimeoutException.class);
            }
        }
        assertThat(waiterRows()).as("waiters that gave up left the line").isZero();
        held.close();
        assertThat(rows()).isZero();
        assertThat(b.turns().waiting(ALICE)).isZero();
    }

    @Test
    void theHolderIsRecordedAndNamedToWhoTimesOut() throws Exception {
        PostgresStorage a = instance();
        PostgresStorage b = instance();
        try (SessionTurn held = a.turns().acquire(ALICE, Duration.ZERO)) {
            String holder = query("SELECT holder FROM " + schema + ".session_turns WHERE epoch = " + held.epoch());
            assertThat(holder).contains(Long.toString(ProcessHandle.current().pid()))
                    .contains(Thread.currentThread().getName());
            Future<?> timesOut = threads.submit(() -> b.turns().acquire(ALICE, Duration.ZERO));
            try {
                get(timesOut);
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).hasMessageContaining(holder);
            }
        }
    }

    // ---- helpers ----

    private long rows() throws SQLException {
        return turnRows() + waiterRows();
    }

    private long turnRows() throws SQLException {
        return Long.parseLong(query("SELECT count(*) FROM " + schema + ".session_turns"));
    }

    private long waiterRows() {
        try {
            return Long.parseLong(query("SELECT count(*) FROM " + schema + ".session_turn_waiters"));
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void terminate(int pid) throws SQLException {
        assertThat(query("SELECT pg_terminate_backend(" + pid + ")")).isEqualTo("t");
    }

    private static String query(String sql) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(sql);
                ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }
}
