package dev.agnomemory.langchain4j;

import dev.agnomemory.langchain4j.testing.StorageFixture;
import dev.agnomemory.langchain4j.testing.TempPostgres;

/** {@link StreamingCallsTest} on {@code PostgresStorage}: the same AI services, the same assertions, a real PostgreSQL. */
class StreamingCallsOnPostgresTest extends StreamingCallsTest {

    @Override
    StorageFixture fixture() {
        return new TempPostgres();
    }
}
