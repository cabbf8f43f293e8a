package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreFormatException;
import dev.agnomemory.core.storage.StoreLockedException;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.core.storage.postgres.PostgresSchemaException;
import dev.agnomemory.examples.PostgresStore;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Opens an existing store for the inspector (never creates one) and explains in one line why it cannot: a MapDB
 * file, or a PostgreSQL database given by a JDBC URL ({@link PostgresStore}). Commands that only read open it
 * read-only ({@link MapDbStorage#openReadOnly}; for PostgreSQL, read-only transactions): nothing is written, and
 * the app using the store may keep it open meanwhile. Commands that change a file open it for writing, which needs
 * the app closed; a PostgreSQL store is changed beside the running apps, as any other instance would.
 */
final class StoreOpening {

    private StoreOpening() {
    }

    /** An open store and what closes it (for PostgreSQL, its pool too). */
    record Opened(MemoryStorage storage, AutoCloseable closer) implements AutoCloseable {
        @Override
        public void close() {
            try {
                closer.close();
            } catch (Exception e) {
                throw new IllegalStateException("Closing the store failed", e);
            }
        }
    }

    /**
     * @param location the store file, as the app opened it, or a {@code jdbc:postgresql:} URL
     * @param forWriting whether the command changes the store
     * @return the open store
     * @throws InspectorException when there is no store, it is open elsewhere (for writing), or it is not a store
     */
    static Opened open(String location, boolean forWriting) {
        if (PostgresStore.isJdbcUrl(location)) {
            return openPostgres(location, forWriting);
        }
        MapDbStorage storage = open(file(location), forWriting);
        return new Opened(storage, storage);
    }

    private static Opened openPostgres(String url, boolean forWriting) {
        try {
            PostgresStore store = PostgresStore.open(url, !forWriting, false);
            return new Opened(store.storage(), store);
        } catch (PostgresSchemaException e) {
            throw InspectorException.problem("no agno-memory store at " + PostgresStore.redact(url) + ": "
                    + Display.oneLine(e.getMessage()));
        } catch (StorageException e) {
            throw InspectorException.problem("cannot open the store " + PostgresStore.redact(url) + ": "
                    + Display.oneLine(e.getMessage()));
        }
    }

    private static Path file(String name) {
        if (name.isBlank()) {
            throw InspectorException.usage("the store file name is blank");
        }
        try {
            return Path.of(name);
        } catch (InvalidPathException e) {
            throw InspectorException.usage("not a valid file name: " + Display.oneLine(name));
        }
    }

    /**
     * @param file the store file, as the app opened it
     * @param forWriting whether the command changes the store
     * @return the open store
     * @throws InspectorException when there is no store, it is open elsewhere (for writing), or it is not a store
     */
    static MapDbStorage open(Path file, boolean forWriting) {
        if (Files.isDirectory(file)) {
            throw InspectorException.problem(file + " is a directory, not an agno-memory store file");
        }
        try {
            return forWriting ? MapDbStorage.builder().file(file).createIfMissing(false).build()
                    : MapDbStorage.openReadOnly(file);
        } catch (StoreLockedException e) {
            throw InspectorException.problem("the store " + file + " is open in another process (probably the "
                    + "app that uses it); close that first, then run the inspector again");
        } catch (StoreFormatException e) {
            // "<file>: is not an agno-memory store (unknown file header); it was not changed." and the like
            throw InspectorException.problem(Display.oneLine(e.getMessage()));
        } catch (StorageException e) {
            // The library has no exception type of its own for "no store here"; a store whose file is missing
            // but whose journal exists opens fine (the file is rebuilt), so a failure with no file means none.
            if (!Files.exists(file)) {
                throw InspectorException.problem("no store at " + file);
            }
            throw InspectorException.problem("cannot open the store " + file + ": "
                    + Display.oneLine(e.getMessage()));
        }
    }
}
