package dev.agnomemory.core.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionTurn;
import dev.agnomemory.core.testing.ChildJvm;
import dev.agnomemory.core.testing.PostgresServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another instance in a child JVM holds a session's turn and then dies ({@code kill -9}) or freezes
 * ({@code kill -STOP}): this instance gets the turn once the child's lease has run out by the server's clock, and
 * the frozen child, resumed, cannot write any more.
 */
class PostgresTurnCrashTest {

    private static final SessionKey ALICE = SessionKey.of("alice", "s1");
    /** The child's lease: short, so the test waits about this long for it to run out. */
    private static final Duration CHILD_LEASE = Duration.ofSeconds(2);

    private static PostgresServer.Database database;
    private static int schemas;

    @TempDir
    Path dir;
    private ChildJvm child;

    @BeforeAll
    static void createDatabase() {
        database = PostgresServer.shared().createDatabase("turncrash");
    }

    @AfterAll
    static void closeDatabase() {
        database.close();
    }

    @AfterEach
    void killChild() {
        if (child != null) {
            child.close();
        }
    }

    /** The child: takes the turn, starts a run, says so, then writes when told to. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            try (HikariDataSource pool = PostgresServer.pool(args[0], 2);
                    PostgresStorage storage = PostgresStorage.builder().dataSource(pool).schema(args[1])
                            .turnLease(Duration.ofMillis(Long.parseLong(args[2]))).build()) {
                SessionTurn turn = storage.turns().acquire(ALICE, Duration.ofSeconds(60));
                MemoryStorage writes = turn.storage();
                writes.getOrCreateSession(ALICE, "child");
                writes.appendMessage(ALICE, "child-run", Message.user("child question"));
                out.println("HELD " + turn.epoch());
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    try {
                        writes.appendMessage(ALICE, "child-run", Message.assistant("child late answer"));
                        out.println("STORED");
                    } catch (RuntimeException e) {
                        out.println("REJECTED " + e.getClass().getSimpleName() + ": " + e.getMessage());
                    }
                }
            }
        }
    }

    private String startChild() throws Exception {
        String schema = "turncrash_" + ++schemas;
        PostgresStorage.builder().dataSource(database.dataSource()).schema(schema).build().close(); // the schema
        child = ChildJvm.start(Holder.class, dir.resolve("child"), database.jdbcUrl(), schema,
                Long.toString(CHILD_LEASE.toMillis()));
        assertThat(child.awaitLine(l -> l.startsWith("HELD "), 60_000)).as("child holds the turn\n%s",
                child.describe()).isTrue();
        return schema;
    }

    private long childEpoch() {
        return child.lines().stream().filter(l -> l.startsWith("HELD ")).mapToLong(l -> Long.parseLong(l.substring(5)))
                .findFirst().orElseThrow();
    }

    @Test
    void aKilledHoldersTurnIsTakenAfterItsLeaseAndItsRunStaysUnfinished() throws Exception {
        String schema = startChild();
        child.process.destroyForcibly(); // SIGKILL
        assertThat(child.awaitExit(30_000)).isTrue();
        try (PostgresStorage storage = PostgresStorage.builder().dataSource(database.dataSource()).schema(schema)
                .build();
                SessionTurn turn = storage.turns().acquire(ALICE, Duration.ofSeconds(60))) {
            assertThat(turn.epoch()).isGreaterThan(childEpoch());
            MemoryStorage writes = turn.storage();
            writes.appendMessage(ALICE, "next-run", Message.user("next question"));
            writes.appendMessage(ALICE, "next-run", Message.assistant("next answer"));
            writes.completeRun(ALICE, "next-run");
            List<Run> runs = storage.runs(ALICE).toList();
            assertThat(runs).extracting(Run::runId).containsExactly("child-run", "next-run");
            assertThat(runs.get(0).status()).isEqualTo(RunStatus.RUNNING);
            assertThat(runs.get(1).status()).isEqualTo(RunStatus.COMPLETED);
        }
    }

    @Test
    void aFrozenHolderThatResumesAfterLosingItsTurnCannotWrite() throws Exception {
        String schema = startChild();
        signal("-STOP"); // a pause longer than the lease: no renewals, and the process does not know
        try (PostgresStorage storage = PostgresStorage.builder().dataSource(database.dataSource()).schema(schema)
                .build()) {
            SessionTurn turn = storage.turns().acquire(ALICE, Duration.ofSeconds(60));
            assertThat(turn.epoch()).isGreaterThan(childEpoch());
            turn.storage().appendMessage(ALICE, "next-run", Message.user("next question"));

            signal("-CONT");
            child.send("WRITE");
            assertThat(child.awaitLine(l -> l.startsWith("REJECTED") || l.startsWith("STORED"), 60_000))
                    .as("the resumed child tried to write\n%s", child.describe()).isTrue();
            assertThat(child.lines()).anySatisfy(l -> assertThat(l).startsWith("REJECTED StaleTurnException")
                    .contains("session s1 of user alice"));

            turn.storage().appendMessage(ALICE, "next-run", Message.assistant("next answer"));
            turn.storage().completeRun(ALICE, "next-run");
            turn.close();
            List<Run> runs = storage.runs(ALICE).toList();
            assertThat(runs).extracting(Run::runId).containsExactly("child-run", "next-run");
            assertThat(runs.get(0).messages()).extracting(Message::content).containsExactly("child question");
            assertThat(runs.get(1).messages()).extracting(Message::content).containsExactly("next question",
                    "next answer");
        }
    }

    /** Sends a signal to the child, by its process id. */
    private void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(child.process.pid())).inheritIO().start();
        assertThat(kill.waitFor()).as("kill %s", signal).isZero();
    }
}
