package dev.agnomemory.langchain4j.testing;

import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.testing.ManualScheduler;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;

/**
 * A fresh, real storage for each test: {@link TempStorage} (a MapDB file) or {@link TempPostgres} (a schema of the
 * embedded PostgreSQL). A test class that declares {@code final StorageFixture store = fixture();} with an
 * overridable {@code fixture()} runs on PostgreSQL too through a subclass that overrides it.
 */
public interface StorageFixture extends BeforeEachCallback, AfterEachCallback {

    /** @return the open storage of this test */
    MemoryStorage storage();

    /** Closes the storage and opens the same store again, as a restarted application would. */
    MemoryStorage reopen();

    /**
     * Closes the storage and opens the same store again with these turn settings: renewals run only when
     * {@code renewals} is told, and a lease runs out only when {@link #passTime} says so.
     *
     * @return the storage, now this fixture's
     */
    MemoryStorage reopenWithTurns(ManualScheduler renewals, Duration lease);

    /** Makes every lease of the store read {@code by} closer to its end, as if that much time had passed. */
    void passTime(Duration by);
}
