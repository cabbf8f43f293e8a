package dev.agnomemory.langchain4j;

import dev.agnomemory.langchain4j.testing.StorageFixture;
import dev.agnomemory.langchain4j.testing.TempPostgres;

/** {@link CallTurnsTest} on {@code PostgresStorage}: leases and fencing tokens of a real PostgreSQL. */
class CallTurnsOnPostgresTest extends CallTurnsTest {

    @Override
    StorageFixture fixture() {
        return new TempPostgres();
    }
}
