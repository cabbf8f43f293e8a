package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.MemoryStorageContractTest;
import dev.agnomemory.core.testing.TickingClock;

/** The storage contract on {@link MapDbStorage#inMemory()}'s engine (no files). */
class MapDbInMemoryStorageContractTest extends MemoryStorageContractTest {

    @Override
    protected MemoryStorage openStorage(TickingClock clock) {
        return MapDbStorage.builder().clock(clock).build();
    }
}
