package dev.agnomemory.core.search;

/** A conversation index could not be opened, read or written (I/O error, directory in use by another process). */
public class SearchIndexException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, naming the index directory where there is one
     * @param cause the underlying error
     */
    public SearchIndexException(String message, Throwable cause) {
        super(message, cause);
    }
}
