package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionTurnsContractTest;
import dev.agnomemory.core.testing.TickingClock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/** The turn rules on {@link MapDbStorage#inMemory()}'s engine. */
class MapDbInMemorySessionTurnsContractTest extends SessionTurnsContractTest {

    @Override
    protected MemoryStorage openStorage(TickingClock clock, ScheduledExecutorService scheduler, Duration lease,
            Duration pollInterval) {
        return MapDbStorage.builder().clock(clock).turnScheduler(scheduler).turnLease(lease)
                .turnPollInterval(pollInterval).build();
    }

    @Override
    protected void passTime(Duration by) {
        clock.advance(by.toMillis());
    }
}
