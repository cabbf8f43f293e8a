package dev.agnomemory.core.storage.mapdb;

import static dev.agnomemory.core.storage.mapdb.CrashTestSupport.ACK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.testing.ChildJvm;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILLs a child process that writes runs as fast as it can, many times on the same store, and checks after each
 * kill that the store opens and holds every acknowledged run exactly. The child checkpoints every 200 journal
 * records, so kills also land inside checkpoints (MapDB commits).
 */
class KillDuringWritesTest {

    private static final int ROUNDS = 15;
    private static final int CHECKPOINT_EVERY = 200;

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
     * The writer: {@code <file> <round> <mode>}. Prints {@code ACK <runId>} after each run's completeRun returned.
     * Modes: {@code random}, plain writes; {@code commit}, MapDB's writes to the index file (made only inside a
     * commit) each take about a third of a millisecond longer and large commits announce themselves (see
     * {@link SlowCommits}), so the parent can aim a kill at the copy into the main file, the window MapDB itself
     * cannot recover from; {@code compaction}, every 8 runs a session holding a secret is created, deleted and purged
     * by a compaction, so kills land inside compactions too ({@code PURGED <n>} after each).
     */
    public static final class Writer {
        public static void main(String[] args) {
            Path file = Path.of(args[0]).toAbsolutePath();
            String round = args[1];
            String mode = args[2];
            PrintStream out = System.out;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            MapDbStorage.Builder builder = MapDbStorage.builder().file(file).checkpointEvery(CHECKPOINT_EVERY)
                    .purgeDelay(java.time.Duration.ofHours(1));
            if (mode.equals("commit")) {
                builder.volumeFactory(new SlowCommits(file, out));
            }
            try (MapDbStorage storage = builder.build()) {
                for (SessionKey key : CrashTestSupport.SESSIONS) {
                    storage.getOrCreateSession(key, CrashTestSupport.AGENT);
                }
                out.println("READY");
                out.flush();
                // Bounded, so an orphaned child does not write forever.
                for (int i = 0; System.nanoTime() < deadline; i++) {
                    String runId = "r" + round + "-" + i;
                    CrashTestSupport.writeRun(storage, CrashTestSupport.sessionFor(i), runId);
                    CrashTestSupport.printAck(out, runId);
                    if (mode.equals("compaction") && i % 8 == 7) {
                        SessionKey doomed = SessionKey.of("doomed", "r" + round + "-" + i);
                        storage.getOrCreateSession(doomed, null);
                        storage.appendMessage(doomed, "x", dev.agnomemory.core.Message.user(secret(round, i)));
                        storage.deleteSession(doomed);
                        storage.compact();
                        out.println("PURGED " + i);
                        out.flush();
                    }
                }
            }
            System.exit(3);
        }
    }

    static String secret(String round, int i) {
        return "KILLED-SECRET-" + round + "-" + i + "-" + "s".repeat(8);
    }

    /**
     * Slows every write to the main index file a little and announces, at the 50th write of a commit, that the
     * commit is copying a checkpoint's worth of changes into the main file ({@code COPYING <n>}); a checkpoint of
     * 200 records makes about 450 such writes.
     */
    static final class SlowCommits extends CrashTestSupport.MainFileWriteHook {
        static final int ANNOUNCE_AT = 20;
        private final PrintStream out;
        private int commits;
        private int writes;

        SlowCommits(Path mainFile, PrintStream out) {
            super(mainFile);
            this.out = out;
        }

        @Override
        protected synchronized void beforeWrite(String op, long offset) {
            if (++writes == ANNOUNCE_AT) {
                out.println("COPYING " + ++commits);
                out.flush();
            }
            if (op.equals("sync")) {
                writes = 0;
            }
            LockSupport.parkNanos(300_000);
        }
    }

    @Test
    @Timeout(value = 150, unit = TimeUnit.SECONDS)
    void everyAcknowledgedRunSurvivesRepeatedKills() throws Exception {
        Path file = dir.resolve("kill.db");
        Random random = new Random();
        List<String> allAcked = new ArrayList<>();
        Set<String> inFlight = new HashSet<>();
        int killedInsideCheckpoint = 0;
        int aimedAtCommit = 0;
        int aimedAndInside = 0;
        long started = System.nanoTime();
        List<String> perRound = new ArrayList<>();

        int compactionRounds = 0;
        int killedInsideCompaction = 0;
        List<String> secrets = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            // Rounds aim the kill at a commit, kill while compactions run, or kill at a random moment, in turn.
            boolean aim = round % 3 == 1;
            boolean compacting = round % 3 == 2;
            List<String> acked;
            long delay = 200 + random.nextInt(1301);
            child = ChildJvm.start(Writer.class, dir.resolve("child-" + round), file.toString(),
                    Integer.toString(round), aim ? "commit" : compacting ? "compaction" : "random");
            try {
                assertThat(child.awaitLine(l -> l.startsWith(ACK), 30_000))
                        .as("round %d: child acknowledged a first run\n%s", round, child.describe()).isTrue();
                Thread.sleep(delay);
                if (aim) {
                    int seen = lastCopying(child.lines());
                    assertThat(child.awaitLine(l -> l.startsWith("COPYING ")
                            && Integer.parseInt(l.substring(8)) > seen, 30_000))
                            .as("round %d: child started another commit\n%s", round, child.describe()).isTrue();
                    // Somewhere in the remaining writes (about 0.3 ms each) of the copy into the main file.
                    Thread.sleep(random.nextInt(30));
                }
                assertThat(child.process.isAlive()).as("round %d: child still writing\n%s", round, child.describe())
                        .isTrue();
                child.process.destroyForcibly();
                assertThat(child.awaitExit(10_000)).as("round %d: killed child ended", round).isTrue();
                // 128 + SIGKILL(9): the child was killed, it did not stop on its own.
                assertThat(child.process.exitValue()).as("round %d: exit code\n%s", round, child.describe())
                        .isEqualTo(137);
                acked = CrashTestSupport.acked(child.lines());
                if (compacting) {
                    compactionRounds++;
                    for (String l : child.lines()) {
                        if (l.startsWith("PURGED ")) {
                            secrets.add(secret(Integer.toString(round), Integer.parseInt(l.substring(7))));
                        }
                    }
                    boolean inside = StoreFixtures.names(dir).stream().anyMatch(n -> n.startsWith("kill.db")
                            && (n.endsWith(".tmp") || n.contains(".compact")));
                    killedInsideCompaction += inside ? 1 : 0;
                }
            } finally {
                child.close();
            }
            assertThat(acked).as("round %d", round).isNotEmpty();
            allAcked.addAll(acked);
            // The only run that may be stored without an acknowledgement is the one after the last acknowledged.
            inFlight.add("r" + round + "-" + (CrashTestSupport.indexOf(acked.get(acked.size() - 1)) + 1));
            boolean insideCheckpoint = CrashTestSupport.lastCheckpointMarker(file).equals("begin");
            killedInsideCheckpoint += insideCheckpoint ? 1 : 0;
            aimedAtCommit += aim ? 1 : 0;
            aimedAndInside += aim && insideCheckpoint ? 1 : 0;
            perRound.add(acked.size() + (aim ? "a" : "") + (compacting ? "c" : "") + (insideCheckpoint ? "*" : ""));

            try (MapDbStorage storage = MapDbStorage.builder().file(file).checkpointEvery(CHECKPOINT_EVERY).build()) {
                CrashTestSupport.assertStoreHolds(storage, CrashTestSupport.bySession(allAcked), inFlight,
                        "after kill " + round + (insideCheckpoint ? " (inside a checkpoint)" : ""));
            }
        }

        // And once more, after a clean close, the index is read as it is.
        int inFlightFound;
        try (MapDbStorage storage = MapDbStorage.open(file)) {
            inFlightFound = CrashTestSupport.assertStoreHolds(storage, CrashTestSupport.bySession(allAcked), inFlight,
                    "final");
        }
        System.out.printf("KillDuringWritesTest: %d rounds, %d acknowledged runs (per round %s; a = kill aimed at a "
                + "commit, c = compacting, * = killed inside a checkpoint), %d kills inside a checkpoint (%d of %d "
                + "aimed), %d of %d compacting rounds killed inside a compaction, %d unacknowledged in-flight runs "
                + "kept, %d ms%n", ROUNDS, allAcked.size(), perRound, killedInsideCheckpoint, aimedAndInside,
                aimedAtCommit, killedInsideCompaction, compactionRounds, inFlightFound,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        // Every purge that completed, and every one a kill interrupted, has its content gone once the store was
        // reopened and closed.
        for (String secret : secrets) {
            assertThat(StoreFixtures.filesContain(dir, secret)).as(secret).isFalse();
        }
        assertThat(secrets).as("purges in the compacting rounds").isNotEmpty();
        assertThat(allAcked).doesNotHaveDuplicates().hasSizeGreaterThan(ROUNDS);
        assertThat(inFlightFound).isLessThanOrEqualTo(ROUNDS);
        // The aimed kills must really have hit commits, or this test would not test what it claims to.
        assertThat(aimedAndInside).as("aimed kills that landed inside a checkpoint, per round: %s", perRound)
                .isGreaterThanOrEqualTo(aimedAtCommit / 2);
    }

    private static int lastCopying(List<String> lines) {
        return lines.stream().filter(l -> l.startsWith("COPYING ")).mapToInt(l -> Integer.parseInt(l.substring(8)))
                .max().orElse(0);
    }
}
