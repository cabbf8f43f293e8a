package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionTurnsContractTest;
import dev.agnomemory.core.testing.TickingClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.io.TempDir;

/** The turn rules on a real MapDB file: leases by the storage's clock, which the tests move on. */
class MapDbFileSessionTurnsContractTest extends SessionTurnsContractTest {

    @TempDir
    Path dir;

    @Override
    protected MemoryStorage openStorage(TickingClock clock, ScheduledExecutorService scheduler, Duration lease,
            Duration pollInterval) {
        return MapDbStorage.builder().file(dir.resolve("turns.db")).clock(clock).turnScheduler(scheduler)
                .turnLease(lease).turnPollInterval(pollInterval).build();
    }

    @Override
    protected void passTime(Duration by) {
        clock.advance(by.toMillis());
    }
}
