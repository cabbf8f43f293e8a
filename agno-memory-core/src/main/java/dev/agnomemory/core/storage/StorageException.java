package dev.agnomemory.core.storage;

/** A storage operation failed for a reason other than a bad argument (I/O error, corrupt or locked file). */
public class StorageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, naming the file where there is one
     */
    public StorageException(String message) {
        super(message);
    }

    /**
     * @param message what failed, naming the file where there is one
     * @param cause the underlying error
     */
    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
