package dev.agnomemory.langchain4j.testing;

import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real MapDB store file in a fresh temporary directory for each test, closed and deleted after it:
 * {@code @RegisterExtension final TempStorage store = new TempStorage();}. {@link #reopen()} closes and opens the
 * same file again, as a restart would.
 */
public final class TempStorage implements BeforeEachCallback, AfterEachCallback {

    private Path dir;
    private MapDbStorage storage;

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

    /** @return the open store */
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

    /** Closes the store and opens the same file again, as a new process would. */
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
}
