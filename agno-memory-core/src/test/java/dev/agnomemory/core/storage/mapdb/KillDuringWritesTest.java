package dev.agnomemory.core.storage.mapdb;

import static dev.agnomemory.core.storage.mapdb.CrashTestSupport.ACK;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.CrashTestSupport.Child;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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

    private static final int ROUNDS = 12;
    private static final int CHECKPOINT_EVERY = 200;

    @TempDir
    Path dir;

    private Child child;

    @AfterEach
    void killChild() throws InterruptedException {
        if (child != null) {
            child.close();
        }
    }

    /** The writer: {@code <file> <round>}. Prints {@code ACK <runId>} after each run's completeRun returned. */
    public static final class Writer {
        public static void main(String[] args) {
            Path file = Path.of(args[0]);
            String round = args[1];
            PrintStream out = System.out;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            try (MapDbStorage storage = MapDbStorage.builder().file(file).checkpointEvery(CHECKPOINT_EVERY)
                    .build()) {
                for (SessionKey key : CrashTestSupport.SESSIONS) {
                    storage.getOrCreateSession(key, CrashTestSupport.AGENT);
                }
                out.println("READY");
                out.flush();
                // Bounded, so an orphaned child does not write forever.
                for (int i = 0; System.nanoTime() < deadline; i++) {
                    String runId = "r" + round + "-" + i;
                    CrashTestSupport.writeRun(storage, CrashTestSupport.sessionFor(i), runId);
                    out.println(ACK + runId);
                    out.flush();
                }
            }
            System.exit(3);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyAcknowledgedRunSurvivesRepeatedKills() throws Exception {
        Path file = dir.resolve("kill.db");
        Random random = new Random();
        List<String> allAcked = new ArrayList<>();
        Set<String> inFlight = new HashSet<>();
        int killedInsideCheckpoint = 0;
        int inFlightRunsFound = 0;
        long started = System.nanoTime();
        List<String> perRound = new ArrayList<>();

        for (int round = 0; round < ROUNDS; round++) {
            List<String> acked;
            long delay = 200 + random.nextInt(1301);
            child = Child.start(Writer.class, dir.resolve("child-" + round + ".err"), file.toString(),
                    Integer.toString(round));
            try {
                assertThat(child.awaitLine(l -> l.startsWith(ACK), 30_000))
                        .as("round %d: child acknowledged a first run\n%s", round, child.describe()).isTrue();
                Thread.sleep(delay);
                assertThat(child.process.isAlive()).as("round %d: child still writing\n%s", round, child.describe())
                        .isTrue();
                child.process.destroyForcibly();
                assertThat(child.awaitExit(10_000)).as("round %d: killed child ended", round).isTrue();
                // 128 + SIGKILL(9): the child was killed, it did not stop on its own.
                assertThat(child.process.exitValue()).as("round %d: exit code\n%s", round, child.describe())
                        .isEqualTo(137);
                acked = child.acked();
            } finally {
                child.close();
            }
            assertThat(acked).as("round %d", round).isNotEmpty();
            allAcked.addAll(acked);
            // The only run that may be stored without an acknowledgement is the one after the last acknowledged.
            inFlight.add("r" + round + "-" + (CrashTestSupport.indexOf(acked.get(acked.size() - 1)) + 1));
            String marker = CrashTestSupport.lastCheckpointMarker(file);
            if (marker.equals("begin")) {
                killedInsideCheckpoint++;
            }

            Map<SessionKey, List<String>> expected = CrashTestSupport.bySession(allAcked);
            int found;
            try (MapDbStorage storage = MapDbStorage.builder().file(file).checkpointEvery(CHECKPOINT_EVERY).build()) {
                found = CrashTestSupport.assertStoreHolds(storage, expected, inFlight, "after kill " + round);
            }
            inFlightRunsFound += found;
            perRound.add(acked.size() + (marker.equals("begin") ? "*" : ""));
        }

        // And once more, after a clean close, the index is read as it is.
        try (MapDbStorage storage = MapDbStorage.open(file)) {
            CrashTestSupport.assertStoreHolds(storage, CrashTestSupport.bySession(allAcked), inFlight, "final");
        }
        System.out.printf("KillDuringWritesTest: %d rounds, %d acknowledged runs (per round %s; * = killed inside a "
                + "checkpoint), %d kills inside a checkpoint, %d unacknowledged in-flight runs found, %d ms%n",
                ROUNDS, allAcked.size(), perRound, killedInsideCheckpoint, inFlightRunsFound,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        assertThat(allAcked).doesNotHaveDuplicates().hasSizeGreaterThan(ROUNDS);
    }
}
