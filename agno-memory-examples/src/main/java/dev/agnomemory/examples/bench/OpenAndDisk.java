package dev.agnomemory.examples.bench;

import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stores of the open-time, rebuild and disk measurements: for each history size (total runs in the store), an
 * agno-memory store, a SQLite row-per-message store and a SQLite store in Agno's pattern, each with sessions of at
 * most {@value #RUNS_PER_SESSION} runs. Nothing is appended to them.
 *
 * <ul>
 *   <li>clean open: close, then open and read the last 3 runs of the first session (what an application's first
 *       request does), interleaved over stores and sizes, so drift hits every store alike;</li>
 *   <li>rebuild: a copy of the largest agno-memory store's journal without its index, opened (the index is rebuilt
 *       from the journal);</li>
 *   <li>disk: the files of each closed store against the UTF-8 bytes of the message texts.</li>
 * </ul>
 */
final class OpenAndDisk implements AutoCloseable {

    static final int RUNS_PER_SESSION = 10_000;

    private final List<Integer> sizes;
    private final Map<Integer, List<BenchStore>> stores = new LinkedHashMap<>();
    private final Map<Integer, AgnoStore> agno = new LinkedHashMap<>();
    /** Per store kind (index into the lists of {@link #stores}) and size. */
    private final List<Map<Integer, Samples>> open = new ArrayList<>();
    private final Map<Integer, Long> rawTextBytes = new LinkedHashMap<>();

    static final List<String> KINDS = List.of("agno-memory (MapDbStorage)", "SQLite row per message",
            "SQLite Agno pattern");

    private OpenAndDisk(List<Integer> sizes) {
        this.sizes = sizes;
        for (int k = 0; k < KINDS.size(); k++) {
            Map<Integer, Samples> m = new LinkedHashMap<>();
            for (int n : sizes) {
                m.put(n, new Samples());
            }
            open.add(m);
        }
    }

    /** Builds the stores of every size and closes them. */
    static OpenAndDisk prefill(List<Integer> sizes, Path dir, Path prefillDir, TextPool texts,
            java.util.function.Consumer<String> progress) {
        OpenAndDisk o = new OpenAndDisk(sizes);
        for (int n : sizes) {
            int perSession = Math.min(n, RUNS_PER_SESSION);
            int sessions = Math.max(1, n / perSession);
            long t0 = System.nanoTime();
            String name = "open-" + n;
            Path build = prefillDir == null ? dir.resolve(name) : prefillDir.resolve(name);
            AgnoStore a = AgnoStore.prefill(build, dir.resolve(name), name, perSession, sessions, texts);
            a.close();
            SqliteRowStore r = SqliteRowStore.prefill(dir.resolve(name).resolve("row.sqlite"), perSession, sessions,
                    texts);
            r.close();
            SqliteSessionStore s = SqliteSessionStore.prefill(dir.resolve(name).resolve("agno.sqlite"), perSession,
                    sessions, texts, false);
            s.close();
            o.agno.put(n, a);
            o.stores.put(n, List.of(a, r, s));
            long raw = 0;
            for (long i = 0; i < (long) sessions * perSession * 4; i++) {
                raw += texts.get(i).getBytes(StandardCharsets.UTF_8).length;
            }
            o.rawTextBytes.put(n, raw);
            progress.accept(String.format(java.util.Locale.ROOT, "open stores of %,d runs (%d x %,d) built in %.1f s",
                    n, sessions, perSession, (System.nanoTime() - t0) / 1e9));
        }
        return o;
    }

    /** {@code rounds} rounds of one clean open of every store, in an order that rotates by round. */
    void measureOpens(int rounds, int warm) {
        List<int[]> order = new ArrayList<>();
        for (int n : sizes) {
            for (int k = 0; k < KINDS.size(); k++) {
                order.add(new int[] {n, k});
            }
        }
        for (int r = -warm; r < rounds; r++) {
            for (int i = 0; i < order.size(); i++) {
                int[] o = order.get(Math.floorMod(i + r, order.size()));
                BenchStore store = stores.get(o[0]).get(o[1]);
                long t = store.timeOpenAndFirstRead();
                store.close();
                if (r >= 0) {
                    open.get(o[1]).get(o[0]).add(t);
                }
            }
        }
    }

    Samples openTimes(int kind, int n) {
        return open.get(kind).get(n);
    }

    /** @return bytes on disk of the closed store of {@code kind} and size {@code n}, per message */
    double bytesPerMessage(int kind, int n) {
        return (double) BenchStore.bytes(stores.get(n).get(kind).files()) / (n * 4L);
    }

    /** @return the UTF-8 bytes of the message texts of the stores of size {@code n}, per message */
    double rawBytesPerMessage(int n) {
        return (double) rawTextBytes.get(n) / (n * 4L);
    }

    /**
     * Copies the journal of the agno-memory store of size {@code n} (not its index) and opens the copy, which
     * rebuilds the index from the journal.
     *
     * @return the nanoseconds of the open
     */
    long rebuild(int n, Path dir) {
        AgnoStore a = agno.get(n);
        Path copyDir = dir.resolve("rebuild-" + n);
        try {
            Files.createDirectories(copyDir);
            String prefix = a.file().getFileName() + ".journal-";
            for (Path p : BenchStore.filesStartingWith(a.file().getParent(), prefix)) {
                Files.copy(p, copyDir.resolve(p.getFileName().toString()));
            }
            long t0 = System.nanoTime();
            MapDbStorage s = MapDbStorage.open(copyDir.resolve(a.file().getFileName().toString()));
            long t = System.nanoTime() - t0;
            s.close();
            for (Path p : BenchStore.filesStartingWith(copyDir, "")) {
                Files.delete(p);
            }
            Files.delete(copyDir);
            return t;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    AgnoStore agno(int n) {
        return agno.get(n);
    }

    @Override
    public void close() {
        for (List<BenchStore> list : stores.values()) {
            for (BenchStore s : list) {
                s.close();
            }
        }
    }
}
