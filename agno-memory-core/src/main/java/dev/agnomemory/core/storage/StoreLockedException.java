package dev.agnomemory.core.storage;

import java.nio.file.Path;

/** The store file is already open, in another process or elsewhere in this one. */
public class StoreLockedException extends StorageException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param file the store file that is held
     * @param cause the underlying error, may be null
     */
    public StoreLockedException(Path file, Throwable cause) {
        super("The store " + file + " is already open in another process (or elsewhere in this one); "
                + "close it there first. Only one process may open a store at a time.", cause);
        this.file = file;
    }

    /** @return the store file that is held */
    public Path file() {
        return file;
    }
}
