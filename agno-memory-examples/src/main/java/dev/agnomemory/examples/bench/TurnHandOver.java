package dev.agnomemory.examples.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.SessionTurn;
import dev.agnomemory.core.storage.postgres.PostgresStorage;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The turn hand-over of {@code PostgresStorage} on one session: from the moment the holder starts to close its turn
 * to the moment the waiter's {@code acquire} returns. Between two instances (each its own storage and pool, as two
 * application processes have) woken by {@code LISTEN/NOTIFY}, and with polling only; against the hand-over between
 * two threads of one instance (woken in process) as the baseline, and an uncontended acquire and release. Part of
 * {@link PostgresBenchmark}, on its server.
 */
final class TurnHandOver {

    private static final Duration POLL = Duration.ofSeconds(1);

    private enum Mode {
        NOTIFY("two instances, LISTEN/NOTIFY"), POLLING("two instances, polling only (every " + POLL.toMillis()
                + " ms)"), LOCAL("one instance, two threads (baseline)");

        final String label;

        Mode(String label) {
            this.label = label;
        }
    }

    private final EmbeddedPostgres server;
    private final int samples;
    private final Random random = new Random(7);
    private final List<Samples> handOvers = new ArrayList<>();
    private final Samples uncontended = new Samples();

    TurnHandOver(EmbeddedPostgres server, int samples) {
        this.server = server;
        this.samples = samples;
    }

    void run() throws Exception {
        ExecutorService waiters = Executors.newSingleThreadExecutor();
        try (HikariDataSource poolA = pool("turns-a"); HikariDataSource poolB = pool("turns-b")) {
            for (Mode mode : Mode.values()) {
                boolean notify = mode != Mode.POLLING;
                try (PostgresStorage a = storage(poolA, notify); PostgresStorage b = mode == Mode.LOCAL ? null
                        : storage(poolB, notify)) {
                    handOvers.add(measure(mode, a, b == null ? a : b, poolA, waiters));
                }
            }
            try (PostgresStorage a = storage(poolA, true)) {
                SessionKey key = SessionKey.of("bench-user", "turn-uncontended");
                for (int i = -20; i < samples * 5; i++) {
                    long t = System.nanoTime();
                    a.turns().acquire(key, Duration.ZERO).close();
                    if (i >= 0) {
                        uncontended.add(System.nanoTime() - t);
                    }
                }
            }
        } finally {
            waiters.shutdownNow();
        }
    }

    private Samples measure(Mode mode, PostgresStorage holder, PostgresStorage waiter, HikariDataSource pool,
            ExecutorService waiters) throws Exception {
        SessionKey key = SessionKey.of("bench-user", "turn-" + mode.name().toLowerCase(Locale.ROOT));
        Samples out = new Samples();
        for (int i = -3; i < samples; i++) {
            SessionTurn held = holder.turns().acquire(key, Duration.ofSeconds(10));
            Future<Long> taken = waiters.submit(() -> {
                SessionTurn turn = waiter.turns().acquire(key, Duration.ofSeconds(60));
                long at = System.nanoTime();
                turn.close();
                return at;
            });
            while (waiterRows(pool, key) == 0) { // the waiter asked once and waits
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            // at a random moment of the waiter's poll cycle, so that polling is measured fairly
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextInt((int) POLL.toMillis())));
            long t = System.nanoTime();
            held.close();
            long at = taken.get(2, TimeUnit.MINUTES);
            if (i >= 0) {
                out.add(at - t);
            }
        }
        progress("%s: %d hand-overs", mode.label, samples);
        return out;
    }

    private static long waiterRows(HikariDataSource pool, SessionKey key) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM agno_memory.session_turn_waiters WHERE "
                        + "session_id = '" + key.sessionId() + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static PostgresStorage storage(HikariDataSource pool, boolean notifications) {
        return PostgresStorage.builder().dataSource(pool).turnNotifications(notifications).turnPollInterval(POLL)
                .build();
    }

    private HikariDataSource pool(String name) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(server.getJdbcUrl("postgres", "postgres"));
        config.setMaximumPoolSize(4);
        config.setPoolName(name);
        return new HikariDataSource(config);
    }

    /** The result table: p50 and p95 per mode, and the ratio of the two-instance hand-over to the baseline. */
    String report() {
        List<List<String>> rows = new ArrayList<>();
        for (Mode mode : Mode.values()) {
            Samples s = handOvers.get(mode.ordinal());
            rows.add(List.of(mode.label, StorageBenchmark.time(s.median()), StorageBenchmark.time(s.percentile(95)),
                    Integer.toString(s.size())));
        }
        rows.add(List.of("uncontended acquire + release (2 round trips)", StorageBenchmark.time(uncontended.median()),
                StorageBenchmark.time(uncontended.percentile(95)), Integer.toString(uncontended.size())));
        double local = handOvers.get(Mode.LOCAL.ordinal()).median();
        String table = StorageBenchmark.table(List.of("Turn hand-over on one session (close to acquire returning)",
                "p50", "p95", "samples"), rows);
        return table + String.format(Locale.ROOT, "two instances / one instance, p50: NOTIFY %s, polling only %s%n",
                StorageBenchmark.ratio(handOvers.get(Mode.NOTIFY.ordinal()).median() / local),
                StorageBenchmark.ratio(handOvers.get(Mode.POLLING.ordinal()).median() / local));
    }

    private static void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[postgres-bench] " + format + "%n", args);
    }
}
