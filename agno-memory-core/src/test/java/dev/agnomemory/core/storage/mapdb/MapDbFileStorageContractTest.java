package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.MemoryStorageContractTest;
import dev.agnomemory.core.testing.TickingClock;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The storage contract on a real MapDB file, reopened where the contract checks persistence; checkpoints every
 * few records, so the rules also hold across checkpoints and the replay after them.
 */
class MapDbFileStorageContractTest extends MemoryStorageContractTest {

    @TempDir
    Path dir;

    @Override
    protected MemoryStorage openStorage(TickingClock clock) {
        return MapDbStorage.builder().file(dir.resolve("contract.db")).clock(clock).checkpointEvery(7).build();
    }

    @Override
    protected MemoryStorage reopenStorage(MemoryStorage current, TickingClock clock) {
        current.close();
        return openStorage(clock);
    }
}
