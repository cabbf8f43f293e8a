package dev.agnomemory.langchain4j.testing;

import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.core.testing.ManualScheduler;
import dev.agnomemory.core.testing.TickingClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real MapDB store file in a fresh temporary directory for each test, closed and deleted after it:
 * {@code @RegisterExtension final TempStorage store = new TempStorage();}. {@link #reopen()} closes and opens the
 * same file again, as a restart would.
 */
public final class TempStorage implements StorageFixture {

    private Path dir;
    private MapDbStorage storage;
    /** The clock of a store reopened with turn settings: its leases run out only when a test moves it. */
    private final TickingClock clock = new TickingClock();

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        dir = Files.createTempDirectory("agno-memory-test");
        storage = MapDbStorage.open(file());
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        if (storage != null) {
            storage.close();
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public MapDbStorage storage() {
        return storage;
    }

    /** @return the store's file */
    public Path file() {
        return dir.resolve("agent.db");
    }

    /** @return a directory of this test for other files */
    public Path dir() {
        return dir;
    }

    @Override
    public MapDbStorage reopen() {
        storage.close();
        try {
            storage = MapDbStorage.open(file());
        } catch (RuntimeException e) {
            storage = null;
            throw e;
        }
        return storage;
    }

    @Override
    public MapDbStorage reopenWithTurns(ManualScheduler renewals, Duration lease) {
        storage.close();
        storage = null;
        storage = MapDbStorage.builder().file(file()).clock(clock).turnScheduler(renewals).turnLease(lease)
                .turnPollInterval(Duration.ofMillis(20)).build();
        return storage;
    }

    @Override
    public void passTime(Duration by) {
        clock.advance(by.toMillis());
    }
}
