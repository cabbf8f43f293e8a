package dev.agnomemory.langchain4j.testing;

import dev.agnomemory.core.storage.postgres.PostgresStorage;
import dev.agnomemory.core.testing.ManualScheduler;
import dev.agnomemory.core.testing.PostgresServer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link PostgresStorage} in a fresh schema of the embedded PostgreSQL for each test (one database and pool per
 * test JVM, started on first use), closed after it.
 */
public final class TempPostgres implements StorageFixture {

    private static final AtomicInteger SCHEMAS = new AtomicInteger();
    private static PostgresServer.Database database;

    private String schema;
    private PostgresStorage storage;

    /** @return the database every test of this JVM uses (its own schema each) */
    public static synchronized PostgresServer.Database database() {
        if (database == null) {
            database = PostgresServer.shared().createDatabase("adapter");
        }
        return database;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        schema = "t" + SCHEMAS.incrementAndGet();
        storage = open(database().dataSource(), schema);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (storage != null) {
            storage.close();
        }
    }

    /** @return the schema of this test */
    public String schema() {
        return schema;
    }

    @Override
    public PostgresStorage storage() {
        return storage;
    }

    @Override
    public PostgresStorage reopen() {
        storage.close();
        storage = open(database().dataSource(), schema);
        return storage;
    }

    @Override
    public PostgresStorage reopenWithTurns(ManualScheduler renewals, Duration lease) {
        storage.close();
        storage = PostgresStorage.builder().dataSource(database().dataSource()).schema(schema)
                .turnScheduler(renewals).turnLease(lease).turnPollInterval(Duration.ofMillis(20)).build();
        return storage;
    }

    /** Leases run out by the server's clock: their ends are moved instead, as the core's turn tests do. */
    @Override
    public void passTime(Duration by) {
        database().passLeaseTime(schema, by);
    }

    private static PostgresStorage open(DataSource dataSource, String schema) {
        return PostgresStorage.builder().dataSource(dataSource).schema(schema).build();
    }
}
