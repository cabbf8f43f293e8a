package dev.agnomemory.core.storage.postgres;

import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.MemoryStorageContractTest;
import dev.agnomemory.core.testing.PostgresServer;
import dev.agnomemory.core.testing.TickingClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The storage contract on a real PostgreSQL server: a fresh schema per test in this class's database; reopening
 * closes the storage and builds a new one on the same schema, as another application instance would.
 */
class PostgresStorageContractTest extends MemoryStorageContractTest {

    private static PostgresServer.Database database;
    private static int schemas;
    private String schema;

    @BeforeAll
    static void createDatabase() {
        database = PostgresServer.shared().createDatabase("contract");
    }

    @AfterAll
    static void closeDatabase() {
        database.close();
    }

    @Override
    protected MemoryStorage openStorage(TickingClock clock) {
        schema = "contract_" + ++schemas;
        return build(clock);
    }

    @Override
    protected MemoryStorage reopenStorage(MemoryStorage current, TickingClock clock) {
        current.close();
        return build(clock);
    }

    private MemoryStorage build(TickingClock clock) {
        return PostgresStorage.builder().dataSource(database.dataSource()).schema(schema).clock(clock).build();
    }
}
