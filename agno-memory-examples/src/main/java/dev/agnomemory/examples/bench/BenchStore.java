package dev.agnomemory.examples.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * One store the storage benchmark measures. Its sessions each hold {@code N} runs before measuring starts; appends go
 * to the sessions in turn ({@code N} appended runs per session, so a session measured as "N runs" holds between N
 * and 2N runs while it is appended to); reads use the first session, which is read before anything is appended.
 */
interface BenchStore extends AutoCloseable {

    /**
     * Appends one run (4 messages: user, assistant, user, assistant, then what the store does to finish a run) to the
     * next session in turn, every write durable when it returns. Message objects are built before the clock starts.
     */
    RunTiming appendRun(TextPool texts);

    /** Reads the last 3 runs (12 messages) of the read session; returns a hash of them, so the JIT cannot drop it. */
    int readLast3();

    /**
     * Opens the store, which must be closed, and reads the last 3 runs, as an application's first request does.
     *
     * @return the nanoseconds both took
     */
    long timeOpenAndFirstRead();

    /** The store's files, for their size on disk. */
    List<Path> files();

    @Override
    void close();

    /**
     * The time of one appended run.
     *
     * @param totalNanos the whole run
     * @param messageNanos the part spent appending the 4 messages (for stores that write per message)
     */
    record RunTiming(long totalNanos, long messageNanos) {
    }

    /** The files in {@code dir} whose names start with {@code prefix}. */
    static List<Path> filesStartingWith(Path dir, String prefix) {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The total size of {@code files}. */
    static long bytes(List<Path> files) {
        long n = 0;
        for (Path p : files) {
            try {
                n += Files.size(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return n;
    }
}
