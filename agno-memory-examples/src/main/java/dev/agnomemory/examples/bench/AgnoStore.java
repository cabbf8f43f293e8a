package dev.agnomemory.examples.bench;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * One agno-memory store whose sessions each hold {@code runsPerSession} runs before measuring starts.
 *
 * <p>Appends go to the sessions in turn, {@code runsPerSession} appended runs per session, so a session measured as
 * "N runs" holds between N and 2N runs while it is appended to (for N = 10 that needs several sessions; for the
 * larger sizes one session suffices). Reads use session 0, which is read before anything is appended.
 */
final class AgnoStore implements AutoCloseable {

    static final String AGENT = "bench-agent";

    private final int runsPerSession;
    private final List<SessionKey> sessions;
    private final long[] nextRun;
    private final Path file;
    private MapDbStorage storage;
    private long appended;
    private long textCursor;

    private AgnoStore(Path file, int runsPerSession, List<SessionKey> sessions, long textCursor) {
        this.file = file;
        this.runsPerSession = runsPerSession;
        this.sessions = sessions;
        this.nextRun = new long[sessions.size()];
        Arrays.fill(nextRun, runsPerSession);
        this.textCursor = textCursor;
    }

    /**
     * Builds a store with {@code sessionCount} sessions of {@code runsPerSession} runs through the public API in
     * {@code buildDir} (a tmpfs when available: only the pre-fill is fast there), closes it, copies its files to
     * {@code targetDir}, forces them to disk, and opens the copy.
     */
    static AgnoStore prefill(Path buildDir, Path targetDir, String name, int runsPerSession, int sessionCount,
            TextPool texts) {
        try {
            Files.createDirectories(buildDir);
            Files.createDirectories(targetDir);
            Path buildFile = buildDir.resolve(name + ".db");
            List<SessionKey> keys = new ArrayList<>();
            long cursor = 0;
            try (MapDbStorage s = MapDbStorage.builder().file(buildFile).build()) {
                for (int i = 0; i < sessionCount; i++) {
                    SessionKey key = SessionKey.of("user-" + i, name + "-session-" + i);
                    keys.add(key);
                    s.getOrCreateSession(key, AGENT);
                    for (int r = 0; r < runsPerSession; r++) {
                        writeRun(s, key, "run-" + r, runMessages(texts, cursor));
                        cursor += 4;
                    }
                }
            }
            Path targetFile = targetDir.resolve(name + ".db");
            if (!buildDir.equals(targetDir)) {
                copyStoreFiles(buildDir, name + ".db", targetDir);
            }
            AgnoStore store = new AgnoStore(targetFile, runsPerSession, keys, cursor);
            store.open();
            return store;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A store with {@code sessionCount} empty sessions, created directly where it is measured. */
    static AgnoStore empty(Path dir, String name, int sessionCount) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<SessionKey> keys = new ArrayList<>();
        for (int i = 0; i < sessionCount; i++) {
            keys.add(SessionKey.of("user-" + i, name + "-session-" + i));
        }
        AgnoStore store = new AgnoStore(dir.resolve(name + ".db"), Integer.MAX_VALUE, keys, 0);
        Arrays.fill(store.nextRun, 0);
        store.open();
        for (SessionKey key : keys) {
            store.storage.getOrCreateSession(key, AGENT);
        }
        return store;
    }

    private void open() {
        storage = MapDbStorage.builder().file(file).build();
    }

    /** Closes and reopens the store (recovery from the journal where needed). */
    void reopen() {
        storage.close();
        open();
    }

    MapDbStorage storage() {
        return storage;
    }

    Path journal() {
        return file.resolveSibling(file.getFileName() + ".journal");
    }

    SessionKey readSession() {
        return sessions.get(0);
    }

    SessionKey session(int i) {
        return sessions.get(i);
    }

    /**
     * Appends one run (4 messages + completeRun = 5 durable writes) to the next session in turn.
     *
     * @return the time the 5 calls took, in nanoseconds (message objects are built before the clock starts)
     */
    long appendRun(TextPool texts) {
        int i = (int) Math.min(appended / runsPerSession, sessions.size() - 1);
        appended++;
        Message[] m = runMessages(texts, textCursor);
        textCursor += 4;
        return writeRun(storage, sessions.get(i), "run-" + nextRun[i]++, m);
    }

    /**
     * Appends one run to session {@code i}; for the multi-threaded measurement, where each thread has its own
     * session (the lock only publishes the run counters between rounds).
     */
    long appendRunTo(int i, Message[] m) {
        long run;
        synchronized (nextRun) {
            run = nextRun[i]++;
        }
        return writeRun(storage, sessions.get(i), "run-" + run, m);
    }

    /** @return a hash of what was read, so the JIT cannot drop the read */
    int readLast3() {
        List<Run> runs = storage.lastRuns(readSession(), 3);
        int h = runs.size();
        for (Run r : runs) {
            h = 31 * h + r.messages().size();
            h = 31 * h + r.messages().get(r.messages().size() - 1).content().length();
        }
        return h;
    }

    static Message[] runMessages(TextPool texts, long cursor) {
        return new Message[] {
            Message.user(texts.get(cursor)),
            Message.assistant(texts.get(cursor + 1)),
            Message.user(texts.get(cursor + 2)),
            Message.assistant(texts.get(cursor + 3)),
        };
    }

    private static long writeRun(MapDbStorage s, SessionKey key, String runId, Message[] m) {
        long t0 = System.nanoTime();
        for (Message message : m) {
            s.appendMessage(key, runId, message);
        }
        s.completeRun(key, runId);
        return System.nanoTime() - t0;
    }

    @Override
    public void close() {
        if (storage != null) {
            storage.close();
        }
    }

    /** Copies a closed store's files (not its lock file) and forces them to disk, so no write-back runs later. */
    private static void copyStoreFiles(Path from, String prefix, Path to) throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(from)) {
            files = list.filter(p -> p.getFileName().toString().startsWith(prefix))
                    .filter(p -> !p.getFileName().toString().endsWith(".lock"))
                    .toList();
        }
        for (Path src : files) {
            Path dst = to.resolve(src.getFileName().toString());
            Files.copy(src, dst);
            try (FileChannel ch = FileChannel.open(dst, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.delete(src);
        }
        try (FileChannel dir = FileChannel.open(to, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException ignored) {
            // not every platform can open a directory
        }
    }
}
