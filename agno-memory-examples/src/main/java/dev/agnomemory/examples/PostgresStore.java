package dev.agnomemory.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.postgres.PostgresStorage;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@link PostgresStorage} opened from a JDBC URL by a command-line tool (the persistent chat, the inspector),
 * with a pool of its own that closes with it. An application brings its own pool instead (see
 * {@code docs/postgres.md}).
 *
 * <p>Rules:
 * <ul>
 *   <li><b>Location.</b> A store location that starts with {@code jdbc:postgresql:} is a PostgreSQL database,
 *       anything else a file. Credentials go into the URL as the driver reads them ({@code user},
 *       {@code password}); the store's schema is the URL's {@code currentSchema} (default {@code agno_memory}).</li>
 *   <li><b>Pool.</b> HikariCP (already this module's dependency for the PostgreSQL benchmark), at most 4
 *       connections (queries, turn renewals, the turn listener), none kept idle; the pool gives the tool the
 *       connection checks and timeouts the storage expects.</li>
 *   <li><b>Read-only.</b> Opened read-only, every transaction of the pool's connections is {@code READ ONLY}: the
 *       server itself refuses any write.</li>
 *   <li><b>Created</b> only when asked (the chat creates its store, the inspector never does).</li>
 *   <li><b>Shown.</b> {@link #describe()} and {@link #redact(String)} never show the password.</li>
 * </ul>
 */
public final class PostgresStore implements AutoCloseable {

    /** The schema of a store whose URL names none: {@code PostgresStorage}'s default. */
    public static final String DEFAULT_SCHEMA = "agno_memory";

    private static final Pattern PASSWORD = Pattern.compile("(?i)([?&]password=)[^&]*");
    private static final Pattern CURRENT_SCHEMA = Pattern.compile("(?i)[?&]currentSchema=([^&]*)");

    private final String url;
    private final HikariDataSource pool;
    private final PostgresStorage storage;

    private PostgresStore(String url, HikariDataSource pool, PostgresStorage storage) {
        this.url = url;
        this.pool = pool;
        this.storage = storage;
    }

    /**
     * @param location a store location as the user typed it
     * @return whether it is a JDBC URL of PostgreSQL rather than a file
     */
    public static boolean isJdbcUrl(String location) {
        return location.regionMatches(true, 0, "jdbc:postgresql:", 0, "jdbc:postgresql:".length());
    }

    /**
     * Opens the store; the pool is closed again when that fails.
     *
     * @param url a {@code jdbc:postgresql:} URL
     * @param readOnly whether every transaction is read-only
     * @param create whether a missing store is created (never when read-only)
     * @return the open store
     * @throws dev.agnomemory.core.storage.postgres.PostgresSchemaException when the schema is missing (read-only),
     *     newer or not agno-memory's
     * @throws StorageException when the database cannot be reached
     */
    public static PostgresStore open(String url, boolean readOnly, boolean create) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(10_000);
        config.setInitializationFailTimeout(1); // one attempt at once: a server that is not there fails now
        config.setPoolName("agno-memory-tool");
        if (readOnly) {
            config.setReadOnly(true);
            config.setConnectionInitSql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
        }
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (HikariPool.PoolInitializationException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new StorageException("Connecting to " + redact(url) + " failed: " + cause.getMessage(), e);
        }
        try {
            PostgresStorage storage = PostgresStorage.builder().dataSource(pool).schema(schemaOf(url))
                    .createSchema(create && !readOnly).build();
            return new PostgresStore(url, pool, storage);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * @param url a JDBC URL
     * @return the schema it names with {@code currentSchema}, or {@value #DEFAULT_SCHEMA}
     */
    public static String schemaOf(String url) {
        Matcher m = CURRENT_SCHEMA.matcher(url);
        return m.find() && !m.group(1).isBlank() ? m.group(1) : DEFAULT_SCHEMA;
    }

    /**
     * @param url a JDBC URL
     * @return the URL with its password replaced by {@code ***}
     */
    public static String redact(String url) {
        return PASSWORD.matcher(url).replaceAll("$1***");
    }

    /** @return the storage */
    public PostgresStorage storage() {
        return storage;
    }

    /** @return the URL without its password, and the schema */
    public String describe() {
        return redact(url) + " (schema " + storage.schema() + ")";
    }

    /** Closes the storage, then its pool. */
    @Override
    public void close() {
        try {
            storage.close();
        } finally {
            pool.close();
        }
    }
}
