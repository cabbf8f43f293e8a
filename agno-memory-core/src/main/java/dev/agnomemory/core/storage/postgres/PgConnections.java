package dev.agnomemory.core.storage.postgres;

import dev.agnomemory.core.storage.StorageException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Borrows a connection from the user's {@link DataSource} for each call and turns every {@link SQLException} into a
 * {@link StorageException} that says what failed.
 *
 * <p>Rules:
 * <ul>
 *   <li>Nothing is retried: a write whose connection broke may or may not have committed, and only the caller can
 *       decide whether to repeat it. The pool replaces a broken connection, so the next call works once the server
 *       is back.</li>
 *   <li>Every statement gets the configured query timeout.</li>
 *   <li>A connection is never kept between calls, so a storage holds no connection while idle.</li>
 * </ul>
 */
final class PgConnections {

    private static final Logger log = LoggerFactory.getLogger(PgConnections.class);

    /** Work on a borrowed connection. */
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final DataSource dataSource;
    private final int queryTimeoutSeconds;

    PgConnections(DataSource dataSource, Duration queryTimeout) {
        this.dataSource = dataSource;
        // JDBC counts whole seconds; round up so a short timeout is not 0 (which means none)
        this.queryTimeoutSeconds = queryTimeout.isZero() ? 0
                : (int) Math.min(Integer.MAX_VALUE, (queryTimeout.toMillis() + 999) / 1000);
    }

    DataSource dataSource() {
        return dataSource;
    }

    /** Runs {@code work} on a connection in autocommit mode: each statement is its own transaction. */
    <T> T call(String what, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            return work.run(c);
        } catch (SQLException e) {
            throw failure(what, e);
        }
    }

    /** Runs {@code work} in one transaction, committed when it returns and rolled back when it throws. */
    <T> T inTransaction(String what, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(c, what);
                throw e;
            } finally {
                restoreAutoCommit(c);
            }
        } catch (SQLException e) {
            throw failure(what, e);
        }
    }

    PreparedStatement prepare(Connection c, String sql) throws SQLException {
        PreparedStatement s = c.prepareStatement(sql);
        if (queryTimeoutSeconds > 0) {
            s.setQueryTimeout(queryTimeoutSeconds);
        }
        return s;
    }

    static StorageException failure(String what, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String why;
        if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) {
            why = "the connection to PostgreSQL failed or was lost (" + state + "); it may or may not have been "
                    + "applied";
        } else if (state.equals("57014")) {
            why = "the statement timed out or was cancelled (" + state + ")";
        } else if (state.equals("40P01") || state.equals("40001")) {
            why = "PostgreSQL aborted the transaction (" + state + "); nothing was applied";
        } else {
            why = "PostgreSQL answered " + (state.isEmpty() ? "an error" : state);
        }
        return new StorageException(what + " failed: " + why + ": " + e.getMessage(), e);
    }

    private static void rollbackQuietly(Connection c, String what) {
        try {
            c.rollback();
        } catch (SQLException e) {
            log.debug("Rolling back after a failure of '{}' failed too (the connection is likely gone)", what, e);
        }
    }

    private static void restoreAutoCommit(Connection c) {
        try {
            c.setAutoCommit(true);
        } catch (SQLException e) {
            log.debug("Could not restore autocommit on a connection; the pool will discard it", e);
        }
    }
}
