package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.testing.ChildJvm;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Halts the process ({@code Runtime.halt}: no shutdown hooks, no flushing) at every step of a compaction, and inside
 * the commit of the new index it builds: the store must reopen with every acknowledged run, without the deleted
 * session, and once reopened and closed, with the deleted content gone from every file.
 */
class HaltInsideCompactionTest {

    private static final int RUNS = 24;
    private static final int HALT_EXIT = 77;
    static final String SECRET = "HALTED-PURGE-SECRET-" + "w".repeat(12);

    @TempDir
    Path dir;

    private ChildJvm child;

    @AfterEach
    void killChild() {
        if (child != null) {
            child.close();
        }
    }

    /**
     * {@code <file> <stage> <write>}: writes runs, deletes a session holding {@link #SECRET}, and compacts, halting
     * when the compaction reaches {@code stage} (or, with {@code write} > 0, at that write into the new index file).
     */
    public static final class Writer {
        public static void main(String[] args) {
            Path file = Path.of(args[0]).toAbsolutePath();
            String stage = args[1];
            long haltAtWrite = Long.parseLong(args[2]);
            PrintStream out = System.out;
            StoreFiles files = StoreFiles.of(file);
            AtomicLong writes = new AtomicLong();
            CrashTestSupport.MainFileWriteHook newIndexWrites = new CrashTestSupport.MainFileWriteHook(
                    files.compactIndex()) {
                @Override
                protected void beforeWrite(String op, long offset) {
                    if (haltAtWrite > 0 && writes.incrementAndGet() >= haltAtWrite) {
                        halt(out, "write " + writes.get() + " " + op);
                    }
                }
            };
            MapDbStorage storage = MapDbStorage.builder().file(file).volumeFactory(newIndexWrites)
                    .purgeDelay(java.time.Duration.ofHours(1))
                    .stageListener(s -> {
                        if (s.equals(stage)) {
                            halt(out, s);
                        }
                    }).build();
            for (SessionKey key : CrashTestSupport.SESSIONS) {
                storage.getOrCreateSession(key, CrashTestSupport.AGENT);
            }
            SessionKey doomed = SessionKey.of("doomed", "s");
            storage.getOrCreateSession(doomed, null);
            storage.appendMessage(doomed, "x", Message.user(SECRET));
            for (int i = 0; i < RUNS; i++) {
                String runId = "c-" + i;
                CrashTestSupport.writeRunBatched(storage, CrashTestSupport.sessionFor(i), runId);
                CrashTestSupport.printAck(out, runId);
            }
            storage.checkpoint();
            storage.deleteSession(doomed);
            out.println("DELETED");
            out.flush();
            storage.compact();
            out.println("COMPLETED");
            out.flush();
            System.exit(0);
        }

        private static void halt(PrintStream out, String where) {
            out.println("HALT " + where);
            out.flush();
            Runtime.getRuntime().halt(HALT_EXIT);
        }
    }

    @ParameterizedTest(name = "halt at {0}")
    @ValueSource(strings = {"compaction: cut", "compaction: snapshot written", "compaction: index built",
            "compaction: end marker written", "compaction: snapshot committed", "compaction: old segments deleted",
            "compaction: index renamed", "write 1", "write 40"})
    void haltAtAStepOfACompaction(String where) throws Exception {
        Path file = dir.resolve("halt.db");
        String stage = where.startsWith("write ") ? "-" : where;
        String write = where.startsWith("write ") ? where.substring(6) : "0";
        child = ChildJvm.start(Writer.class, dir.resolve("child"), file.toString(), stage, write);
        assertThat(child.awaitExit(60_000)).as("child ended\n%s", child.describe()).isTrue();
        List<String> lines = child.lines();
        assertThat(child.process.exitValue()).as("halted\n%s", child.describe()).isEqualTo(HALT_EXIT);
        assertThat(lines).as("halted during the compaction").contains("DELETED")
                .anyMatch(l -> l.startsWith("HALT "));
        List<String> acked = CrashTestSupport.acked(lines);
        assertThat(acked).hasSize(RUNS);
        try (MapDbStorage storage = MapDbStorage.open(file)) {
            CrashTestSupport.assertStoreHolds(storage, CrashTestSupport.bySession(acked), Set.of(),
                    "reopened after a halt at " + where);
            assertThat(storage.session(SessionKey.of("doomed", "s"))).isEmpty();
            CrashTestSupport.writeRun(storage, CrashTestSupport.SESSIONS.get(0), "after");
        }
        assertThat(StoreFixtures.filesContain(dir, SECRET)).as("deleted content after reopening").isFalse();
        assertThat(StoreFixtures.names(dir)).noneMatch(n -> n.startsWith("halt.db") && (n.endsWith(".tmp")
                || n.contains(".compact") || n.contains(".rebuild")));
        try (MapDbStorage storage = MapDbStorage.open(file)) {
            assertThat(storage.lastRuns(CrashTestSupport.SESSIONS.get(0), 1).get(0).runId()).isEqualTo("after");
        }
    }
}
