package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.storage.StorageException;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.util.Locale;
import org.mapdb.DBException;

/**
 * Turns I/O failures into {@link StorageException}s that say what failed, on which file, and why in words: "the disk
 * is full" for a full disk (rather than {@code VolumeIOError: null}), never a message ending in {@code : null}.
 */
final class IoFailures {

    private IoFailures() {
    }

    /**
     * @param action what was being done, for example "Cannot write journal segment"
     * @param file the file it was done to
     * @param e the failure
     */
    static StorageException storage(String action, Path file, Throwable e) {
        return new StorageException(action + " " + file + ": " + reason(e), e);
    }

    /** The failure in words, looking through MapDB's wrappers to the I/O error inside. */
    static String reason(Throwable e) {
        Throwable cause = e;
        while (cause instanceof DBException && cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (isDiskFull(cause)) {
            return "the disk is full (" + cause.getMessage() + ")";
        }
        if (cause instanceof ClosedByInterruptException) {
            return "the thread was interrupted during file I/O";
        }
        String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            return cause.getClass().getSimpleName();
        }
        return message;
    }

    /** Whether the failure (or one it wraps) is a full disk or an exceeded quota. */
    static boolean isDiskFull(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IOException && t.getMessage() != null) {
                String m = t.getMessage().toLowerCase(Locale.ROOT);
                if (m.contains("no space left") || m.contains("not enough space") || m.contains("disk quota")
                        || m.contains("disk full")) {
                    return true;
                }
            }
        }
        return false;
    }
}
