package dev.agnomemory.core.storage.postgres;

import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionTurnsContractTest;
import dev.agnomemory.core.testing.PostgresServer;
import dev.agnomemory.core.testing.TickingClock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The turn rules on a real PostgreSQL server, a fresh schema per test. Leases run out by the server's clock, so
 * {@link #passTime} moves the stored expiry times back instead.
 */
class PostgresSessionTurnsContractTest extends SessionTurnsContractTest {

    private static PostgresServer.Database database;
    private static int schemas;
    private String schema;

    @BeforeAll
    static void createDatabase() {
        database = PostgresServer.shared().createDatabase("turns");
    }

    @AfterAll
    static void closeDatabase() {
        database.close();
    }

    @Override
    protected MemoryStorage openStorage(TickingClock clock, ScheduledExecutorService scheduler, Duration lease,
            Duration pollInterval) {
        schema = "turns_" + ++schemas;
        return PostgresStorage.builder().dataSource(database.dataSource()).schema(schema).clock(clock)
                .turnScheduler(scheduler).turnLease(lease).turnPollInterval(pollInterval).build();
    }

    @Override
    protected void passTime(Duration by) {
        database.passLeaseTime(schema, by);
    }
}
