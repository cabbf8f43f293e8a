package dev.agnomemory.core.storage.postgres;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one connection of a {@link PostgresStorage} that {@code LISTEN}s for released turns, on a daemon thread.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>Started by the first wait</b> for a turn, so a storage whose calls never wait holds no connection; from
 *       then on it holds one connection of the pool until the storage closes.</li>
 *   <li><b>A lost connection</b> (server restart, terminated backend, network) is logged once, and the listener
 *       connects again, backing off from 100 ms to 5 s; meanwhile waiters ask every poll interval. After each
 *       (re)connection every waiter is woken once, as notifications may have been missed.</li>
 *   <li><b>Liveness.</b> A connection idle for 10 s runs {@code SELECT 1}, so a dead one is noticed; after 10
 *       minutes the connection goes back to the pool and a fresh one is taken, so the pool's maximum lifetime
 *       holds.</li>
 *   <li><b>Only the PostgreSQL JDBC driver</b> (pgjdbc) delivers notifications; it is reached by reflection, as the
 *       driver is the application's runtime dependency. With another driver the listener logs a warning and stops,
 *       and waiters poll.</li>
 * </ul>
 */
final class PgTurnListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PgTurnListener.class);
    private static final int WAIT_MILLIS = 250;
    private static final long CHECK_AFTER_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long RECYCLE_AFTER_NANOS = TimeUnit.MINUTES.toNanos(10);
    private static final long FIRST_BACKOFF_MILLIS = 100;
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    private final DataSource dataSource;
    private final String schema;
    private final Duration pollInterval;
    private final Consumer<String> onNotification;
    private final Runnable onListening;
    private final Object monitor = new Object();
    private Thread thread;
    private volatile boolean closed;
    private volatile boolean listening;
    private volatile int backendPid;
    private final AtomicInteger connections = new AtomicInteger();

    /**
     * @param onNotification gets the payload of each notification on {@link PgTurns#CHANNEL}
     * @param onListening runs after each (re)connection
     */
    PgTurnListener(DataSource dataSource, String schema, Duration pollInterval, Consumer<String> onNotification,
            Runnable onListening) {
        this.dataSource = dataSource;
        this.schema = schema;
        this.pollInterval = pollInterval;
        this.onNotification = onNotification;
        this.onListening = onListening;
    }

    /** Starts listening, once; does nothing after {@link #close()}. */
    void start() {
        synchronized (monitor) {
            if (thread != null || closed) {
                return;
            }
            thread = new Thread(this::run, "agno-memory turn listener of PostgreSQL schema " + schema);
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** @return whether it listens right now (and has woken the waiters since it started to) */
    boolean listening() {
        return listening;
    }

    /** @return how many connections it has listened on so far */
    int connections() {
        return connections.get();
    }

    /** @return the server process id of its connection, 0 before the first */
    int backendPid() {
        return backendPid;
    }

    @Override
    public void close() {
        Thread t;
        synchronized (monitor) {
            closed = true;
            monitor.notifyAll();
            t = thread;
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        long backoff = FIRST_BACKOFF_MILLIS;
        boolean down = false;
        while (!closed) {
            try (Connection c = dataSource.getConnection()) {
                Notifications notifications = Notifications.of(c);
                if (notifications == null) {
                    log.warn("The connections of PostgreSQL schema {}'s data source are not the PostgreSQL JDBC "
                            + "driver's (pgjdbc), which alone delivers notifications: waiters for session turns ask "
                            + "every {} instead", schema, pollInterval);
                    return;
                }
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + PgTurns.CHANNEL);
                    try (ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                        rs.next();
                        backendPid = rs.getInt(1);
                    }
                    connections.incrementAndGet();
                    backoff = FIRST_BACKOFF_MILLIS;
                    if (down) {
                        log.info("The turn listener of PostgreSQL schema {} listens again", schema);
                        down = false;
                    }
                    onListening.run();
                    listening = true;
                    listen(s, notifications);
                    listening = false;
                    s.execute("UNLISTEN *"); // the connection goes back to the pool clean
                }
            } catch (SQLException | RuntimeException e) {
                listening = false;
                if (closed) {
                    return;
                }
                if (!down) {
                    log.warn("The turn listener of PostgreSQL schema {} lost its connection; waiters for session turns "
                            + "ask every {} until it is back", schema, pollInterval, e);
                    down = true;
                } else {
                    log.debug("The turn listener of PostgreSQL schema {} could not connect again", schema, e);
                }
                pause(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            } finally {
                listening = false;
            }
        }
    }

    private void listen(Statement s, Notifications notifications) throws SQLException {
        long since = System.nanoTime();
        long checked = since;
        while (!closed) {
            List<String> payloads = notifications.await(WAIT_MILLIS);
            for (String payload : payloads) {
                onNotification.accept(payload);
            }
            long now = System.nanoTime();
            if (now - since > RECYCLE_AFTER_NANOS) {
                return;
            }
            if (payloads.isEmpty() && now - checked > CHECK_AFTER_NANOS) {
                s.execute("SELECT 1");
                checked = now;
            }
        }
    }

    private void pause(long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (monitor) {
            long left;
            while (!closed && (left = until - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(monitor, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** pgjdbc's {@code PGConnection.getNotifications(int)}, by reflection. */
    private static final class Notifications {
        private final Object connection;
        private final Method getNotifications;
        private final Method getParameter;

        private Notifications(Object connection, Method getNotifications, Method getParameter) {
            this.connection = connection;
            this.getNotifications = getNotifications;
            this.getParameter = getParameter;
        }

        /** @return the notifications of {@code c}, or null when it is not a pgjdbc connection */
        static Notifications of(Connection c) throws SQLException {
            Class<?> type;
            Class<?> notification;
            try {
                ClassLoader loader = c.getClass().getClassLoader();
                type = Class.forName("org.postgresql.PGConnection", true, loader);
                notification = Class.forName("org.postgresql.PGNotification", true, type.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                return null;
            }
            if (!c.isWrapperFor(type)) {
                return null;
            }
            try {
                return new Notifications(c.unwrap(type), type.getMethod("getNotifications", int.class),
                        notification.getMethod("getParameter"));
            } catch (NoSuchMethodException e) {
                return null;
            }
        }

        /** Waits up to {@code millis} for notifications. */
        List<String> await(int millis) throws SQLException {
            try {
                Object[] got = (Object[]) getNotifications.invoke(connection, millis);
                if (got == null || got.length == 0) {
                    return List.of();
                }
                List<String> payloads = new ArrayList<>(got.length);
                for (Object n : got) {
                    payloads.add((String) getParameter.invoke(n));
                }
                return payloads;
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof SQLException se) {
                    throw se;
                }
                throw new IllegalStateException("pgjdbc's getNotifications failed", e.getCause());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException("pgjdbc's getNotifications is not accessible", e);
            }
        }
    }
}
