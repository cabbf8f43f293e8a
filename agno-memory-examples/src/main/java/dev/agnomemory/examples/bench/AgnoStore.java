package dev.agnomemory.examples.bench;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunOutcome;
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
 * An agno-memory store ({@code MapDbStorage}) whose sessions each hold {@code runsPerSession} runs before measuring
 * starts (see {@link BenchStore}). A run is written as the adapter writes it: 3 {@code appendMessage} calls, then the
 * answer that ends the run with the run's completion, {@code finishRun(key, runId, List.of(answer), completed)}: 4
 * durable writes.
 */
final class AgnoStore implements BenchStore {

    static final String AGENT = "bench-agent";

    private final int runsPerSession;
    private final List<SessionKey> sessions;
    private final long[] nextRun;
    private final Path file;
    private MapDbStorage storage;
    private long appended;
    private long textCursor;
    /** Journal bytes per durable write of the pre-fill (segments cut to their data at close), or NaN. */
    private double journalBytesPerWrite = Double.NaN;

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
            try (MapDbStorage s = MapDbStorage.builder().file(buildFile).checkpointEvery(50_000).build()) {
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
            long writes = sessionCount + (long) sessionCount * runsPerSession * StorageBenchmark.AGNO_WRITES_PER_RUN;
            double perWrite = (double) BenchStore.bytes(
                    BenchStore.filesStartingWith(buildDir, name + ".db.journal-")) / writes;
            Path targetFile = targetDir.resolve(name + ".db");
            if (!buildDir.equals(targetDir)) {
                copyStoreFiles(buildDir, name + ".db", targetDir);
            }
            AgnoStore store = new AgnoStore(targetFile, runsPerSession, keys, cursor);
            store.journalBytesPerWrite = perWrite;
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

    /** Closes and reopens the store. */
    void reopen() {
        storage.close();
        open();
    }

    @Override
    public long timeOpenAndFirstRead() {
        long t0 = System.nanoTime();
        open();
        readLast3();
        return System.nanoTime() - t0;
    }

    Path file() {
        return file;
    }

    /** @return journal bytes per durable write of the pre-fill (frames and record headers included) */
    double journalBytesPerWrite() {
        return journalBytesPerWrite;
    }

    int sessionCount() {
        return sessions.size();
    }

    MapDbStorage storage() {
        return storage;
    }

    SessionKey readSession() {
        return sessions.get(0);
    }

    SessionKey session(int i) {
        return sessions.get(i);
    }

    @Override
    public RunTiming appendRun(TextPool texts) {
        int i = (int) Math.min(appended / runsPerSession, sessions.size() - 1);
        appended++;
        Message[] m = runMessages(texts, textCursor);
        textCursor += 4;
        String runId = "run-" + nextRun[i]++;
        // the last message is appended in the write that completes the run, so the messages take the whole run
        long nanos = writeRun(storage, sessions.get(i), runId, m);
        return new RunTiming(nanos, nanos);
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

    @Override
    public int readLast3() {
        List<Run> runs = storage.lastRuns(readSession(), 3);
        int h = runs.size();
        for (Run r : runs) {
            h = 31 * h + r.messages().size();
            h = 31 * h + r.messages().get(r.messages().size() - 1).content().length();
        }
        return h;
    }

    @Override
    public List<Path> files() {
        return BenchStore.filesStartingWith(file.getParent(), file.getFileName().toString());
    }

    static Message[] runMessages(TextPool texts, long cursor) {
        return new Message[] {
            Message.user(texts.get(cursor)),
            Message.assistant(texts.get(cursor + 1)),
            Message.user(texts.get(cursor + 2)),
            Message.assistant(texts.get(cursor + 3)),
        };
    }

    /** Writes one run as the adapter does (see the class comment); returns the nanoseconds it took. */
    private static long writeRun(MapDbStorage s, SessionKey key, String runId, Message[] m) {
        long t0 = System.nanoTime();
        for (int i = 0; i < m.length - 1; i++) {
            s.appendMessage(key, runId, m[i]);
        }
        s.finishRun(key, runId, List.of(m[m.length - 1]), RunOutcome.completed());
        return System.nanoTime() - t0;
    }

    @Override
    public void close() {
        if (storage != null) {
            storage.close();
            storage = null;
        }
    }

    /** Copies a closed store's files (not its lock file) and forces them to disk, so no write-back runs later. */
    static void copyStoreFiles(Path from, String prefix, Path to) throws IOException {
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
