package dev.agnomemory.examples.inspector;

import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.StoreFormatException;
import dev.agnomemory.core.storage.StoreLockedException;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens an existing store for the inspector (never creates one) and explains in one line why it cannot. Commands
 * that only read open it read-only ({@link MapDbStorage#openReadOnly}): nothing is written, and the app using the
 * store may keep it open meanwhile. Commands that change it open it for writing, which needs the app closed.
 */
final class StoreOpening {

    private StoreOpening() {
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
