package dev.agnomemory.langchain4j;

import dev.agnomemory.langchain4j.testing.StorageFixture;
import dev.agnomemory.langchain4j.testing.TempPostgres;

/** {@link AgnoMemoryEndToEndTest} on {@code PostgresStorage}: the same AI services, the same assertions, a real PostgreSQL. */
class AgnoMemoryEndToEndOnPostgresTest extends AgnoMemoryEndToEndTest {

    @Override
    StorageFixture fixture() {
        return new TempPostgres();
    }
}
