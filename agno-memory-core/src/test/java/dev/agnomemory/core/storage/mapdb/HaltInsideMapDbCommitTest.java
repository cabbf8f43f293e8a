package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.testing.ChildJvm;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Halts the process ({@code Runtime.halt}, no shutdown hooks, no flushing) at the N-th write MapDB makes to the
 * index file inside a checkpoint's commit, i.e. after MapDB's own log was written and forced but while it copies
 * into the main file, which MapDB 3.1 never repairs. The store must reopen with every acknowledged run and stay
 * usable.
 */
class HaltInsideMapDbCommitTest {

    /**
     * Runs before the halting checkpoint; enough that its commit makes more than 320 writes (361 and 374; the index
     * writes each node a checkpoint changes once, at the commit, so 160 runs made only 76).
     */
    private static final int RUNS = 1_300;
    private static final int PRIOR_RUNS = 60;
    private static final int HALT_EXIT = 77;
    private static final long NEVER = 1_000_000_000L;

    @TempDir
    Path dir;

    private ChildJvm child;

    @AfterEach
    void killChild() {
        if (child != null) {
            child.close();
        }
    }

    // ---- the child ----

    /**
     * {@code <file> <haltAt> <priorRuns> <runs>}: writes {@code priorRuns} runs and checkpoints them (when more than
     * 0), writes {@code runs} runs, then arms the volume factory to halt at its {@code haltAt}-th write and
     * checkpoints. Prints {@code ACK <runId>} per acknowledged run, {@code HALT ...} just before halting, and
     * {@code COMPLETED <writes> <ops>} when the checkpoint finished without reaching {@code haltAt}.
     */
    public static final class Writer {
        public static void main(String[] args) {
            Path file = Path.of(args[0]).toAbsolutePath();
            long haltAt = Long.parseLong(args[1]);
            int priorRuns = Integer.parseInt(args[2]);
            int runs = Integer.parseInt(args[3]);
            PrintStream out = System.out;
            HaltingVolumeFactory volumes = new HaltingVolumeFactory(file, out);
            // A fixed clock: the index's bytes, and so the writes of its commit, are the same in every run.
            MapDbStorage storage = MapDbStorage.builder().file(file).checkpointEvery(1_000_000)
                    .clock(new dev.agnomemory.core.testing.TickingClock()).volumeFactory(volumes).build();
            for (SessionKey key : CrashTestSupport.SESSIONS) {
                storage.getOrCreateSession(key, CrashTestSupport.AGENT);
            }
            writeRuns(storage, "p", priorRuns, out);
            if (priorRuns > 0) {
                storage.checkpoint();
                out.println("CHECKPOINTED");
                out.flush();
            }
            writeRuns(storage, "b", runs, out);
            volumes.arm(haltAt);
            storage.checkpoint();
            long writes = volumes.disarm();
            out.println("COMPLETED " + writes + " " + volumes.ops());
            out.flush();
            storage.close();
            System.exit(0);
        }

        private static void writeRuns(MapDbStorage storage, String prefix, int count, PrintStream out) {
            for (int i = 0; i < count; i++) {
                String runId = prefix + "-" + i;
                CrashTestSupport.writeRunBatched(storage, CrashTestSupport.sessionFor(i), runId);
                CrashTestSupport.printAck(out, runId);
            }
        }
    }

    // ---- the tests ----

    @ParameterizedTest(name = "halt at main-file write {0}")
    @ValueSource(longs = {1, 2, 3, 5, 10, 40, 160, 320, NEVER})
    void haltInFirstCheckpoint(long haltAt) throws Exception {
        runCase(haltAt, 0);
    }

    @ParameterizedTest(name = "halt at main-file write {0} of the second checkpoint")
    @ValueSource(longs = {1, 3, 10, 160, NEVER})
    void haltInSecondCheckpoint(long haltAt) throws Exception {
        runCase(haltAt, PRIOR_RUNS);
    }

    /** The last writes of the commit: just before the final sync and just before the last record copy. */
    @Test
    void haltAtTheEndOfTheCommit() throws Exception {
        long total = runCase(NEVER, PRIOR_RUNS);
        // MapDB's commit ends with sync(); the write before it is the last record copied into the file.
        for (long haltAt : new long[] {total, total - 1}) {
            Path sub = Files.createDirectories(dir.resolve("end-" + haltAt));
            runCase(sub, haltAt, PRIOR_RUNS);
        }
    }

    private long runCase(long haltAt, int priorRuns) throws Exception {
        return runCase(dir, haltAt, priorRuns);
    }

    /** @return the writes the commit made when it was not halted, else -1 */
    private long runCase(Path caseDir, long haltAt, int priorRuns) throws Exception {
        Path file = caseDir.resolve("halt.db");
        List<String> lines;
        int exit;
        String description;
        child = ChildJvm.start(Writer.class, caseDir.resolve("child"), file.toString(), Long.toString(haltAt),
                Integer.toString(priorRuns), Integer.toString(RUNS));
        try {
            assertThat(child.awaitExit(60_000)).as("child ended\n%s", child.describe()).isTrue();
            exit = child.process.exitValue();
            lines = child.lines();
            description = child.describe();
        } finally {
            child.close();
        }
        List<String> acked = CrashTestSupport.acked(lines);
        assertThat(acked).as("acknowledged runs\n%s", description).hasSize(priorRuns + RUNS);

        long totalWrites = -1;
        if (haltAt == NEVER) {
            assertThat(exit).as("child exit\n%s", description).isZero();
            String completed = lines.stream().filter(l -> l.startsWith("COMPLETED ")).findFirst().orElse(null);
            assertThat(completed).as("checkpoint completed\n%s", description).isNotNull();
            totalWrites = Long.parseLong(completed.split(" ")[1]);
            // Every halt point tested lies inside the commit.
            assertThat(totalWrites).as("writes of the commit: %s", completed).isGreaterThan(320);
            System.out.println("HaltInsideMapDbCommitTest: undisturbed commit (prior runs " + priorRuns + "): "
                    + completed);
            assertThat(CrashTestSupport.lastCheckpointMarker(file)).isEqualTo("end");
        } else {
            assertThat(exit).as("child exit (halted)\n%s", description).isEqualTo(HALT_EXIT);
            String halt = lines.stream().filter(l -> l.startsWith("HALT ")).findFirst().orElse(null);
            assertThat(halt).as("halt line\n%s", description).isNotNull()
                    .startsWith("HALT " + haltAt + " ").endsWith(" inCommit=true");
            assertThat(lines).as("no line after the halt line").endsWith(halt);
            // The process stopped between the checkpoint's begin marker and its end marker.
            assertThat(CrashTestSupport.lastCheckpointMarker(file)).isEqualTo("begin");
        }

        Map<SessionKey, List<String>> expected = CrashTestSupport.bySession(acked);
        // Reopen with MapDB's ordinary volumes: every acknowledged run, nothing else.
        try (MapDbStorage storage = MapDbStorage.open(file)) {
            int inFlight = CrashTestSupport.assertStoreHolds(storage, expected, Set.of(), "reopened after halt at "
                    + haltAt);
            assertThat(inFlight).isZero();
            // Usable: write a run and a new session.
            CrashTestSupport.writeRun(storage, CrashTestSupport.SESSIONS.get(0), "after-" + 0);
            expected.computeIfAbsent(CrashTestSupport.SESSIONS.get(0), k -> new ArrayList<>()).add("after-0");
            SessionKey fresh = SessionKey.of("dave", "new");
            storage.getOrCreateSession(fresh, CrashTestSupport.AGENT);
            CrashTestSupport.writeRun(storage, fresh, "fresh-0");
        }
        // And the writes survive a close and reopen, twice (these opens read the index the close committed).
        for (int i = 0; i < 2; i++) {
            try (MapDbStorage storage = MapDbStorage.open(file)) {
                CrashTestSupport.assertStoreHolds(storage, expected, Set.of(), "second reopen after halt at "
                        + haltAt);
                List<Run> fresh = storage.runs(SessionKey.of("dave", "new")).collect(Collectors.toList());
                assertThat(fresh).extracting(Run::runId).containsExactly("fresh-0");
                assertThat(fresh.get(0).messages()).containsExactlyElementsOf(
                        CrashTestSupport.expectedMessages("fresh-0"));
                assertThat(fresh.get(0).completed()).isTrue();
            }
        }
        try (Stream<Path> files = Files.list(file.getParent())) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("halt.db")))
                    .as("files left beside the store").doesNotContain("halt.db.rebuild")
                    .allMatch(n -> !n.contains(".wal.") && !n.contains(".compact"));
        }
        return totalWrites;
    }

    // ---- fault injection ----

    /**
     * Opens MapDB's volumes with {@link BufferedRandomAccessFileVol#CHECKSUMMED}; the volume of the main index file (not
     * its {@code .wal.N} files) counts its writes once {@link #arm armed} and halts the JVM just before the N-th.
     */
    static final class HaltingVolumeFactory extends CrashTestSupport.MainFileWriteHook {
        private final PrintStream out;
        private final AtomicLong writes = new AtomicLong();
        private final Map<String, Long> ops = new TreeMap<>();
        private volatile long haltAt = -1;

        HaltingVolumeFactory(Path mainFile, PrintStream out) {
            super(mainFile);
            this.out = out;
        }

        void arm(long n) {
            synchronized (ops) {
                ops.clear();
            }
            writes.set(0);
            haltAt = n;
        }

        /** @return the writes counted since {@link #arm} */
        long disarm() {
            haltAt = -1;
            return writes.get();
        }

        String ops() {
            synchronized (ops) {
                return ops.toString().replace(" ", "");
            }
        }

        @Override
        protected void beforeWrite(String op, long offset) {
            long limit = haltAt;
            if (limit < 0) {
                return;
            }
            long n = writes.incrementAndGet();
            synchronized (ops) {
                ops.merge(op, 1L, Long::sum);
            }
            if (n >= limit) {
                boolean inCommit = Stream.of(new Throwable().getStackTrace()).anyMatch(
                        f -> f.getClassName().equals("org.mapdb.StoreWAL") && f.getMethodName().equals("commit"));
                out.println("HALT " + n + " " + op + "@" + offset + " inCommit=" + inCommit);
                out.flush();
                Runtime.getRuntime().halt(HALT_EXIT);
            }
        }
    }
}
