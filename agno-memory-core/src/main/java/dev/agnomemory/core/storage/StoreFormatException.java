package dev.agnomemory.core.storage;

import java.nio.file.Path;

/**
 * A file is not a store this version can open: not a store at all, damaged beyond automatic recovery, or written
 * by a newer version. The file is left as it was.
 */
public class StoreFormatException extends StorageException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    /**
     * @param file the offending file
     * @param problem what is wrong with it
     */
    public StoreFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /**
     * @param file the offending file
     * @param problem what is wrong with it
     * @param cause the underlying error
     */
    public StoreFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** @return the offending file */
    public Path file() {
        return file;
    }
}
