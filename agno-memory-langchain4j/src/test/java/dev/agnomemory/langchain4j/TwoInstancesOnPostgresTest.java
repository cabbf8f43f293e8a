package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.storage.postgres.PostgresStorage;
import dev.agnomemory.core.testing.ChildJvm;
import dev.agnomemory.core.testing.PostgresServer;
import dev.agnomemory.langchain4j.testing.RecordedMessage;
import dev.agnomemory.langchain4j.testing.RecordedRequest;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.ScriptedReply;
import dev.agnomemory.langchain4j.testing.TempPostgres;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two application instances (child JVMs, each with its own pool, {@link PostgresStorage} and provider) call one
 * session through the real AiServices and OpenAiChatModel, 8 threads each, against one scripted server and one
 * PostgreSQL: the runs stay whole, never interleave, none is lost, each caller's order is kept, and every prompt
 * holds the runs the other instance just completed. Then an instance is killed ({@code kill -9}) while it holds the
 * session's turn: the other's calls go on once its lease has run out. Then an instance freezes ({@code kill -STOP})
 * in the middle of a call, loses its turn, and resumes: its late write is refused with {@code StaleTurnException}
 * and stores nothing.
 */
class TwoInstancesOnPostgresTest {

    /**
     * The instances' turn lease: long enough that a healthy instance on a loaded machine never misses it (renewed
     * every third); the test makes a dead or frozen instance's lease run out by moving its end back
     * ({@link PostgresServer.Database#passLeaseTime}), as the lease would by itself this much later.
     */
    private static final Duration LEASE = Duration.ofSeconds(10);
    private static final int THREADS = 8;
    private static final int CALLS = 3;
    private static final long WAIT = 120_000;
    private static final AtomicInteger SCHEMAS = new AtomicInteger();

    @TempDir
    Path dir;
    private ScriptedOpenAiServer server;
    private final List<ChildJvm> children = new ArrayList<>();
    private String schema;
    private PostgresStorage storage;

    @BeforeEach
    void start() {
        server = ScriptedOpenAiServer.start();
        for (int i = 0; i < 1_000; i++) {
            // a message starting with HOLD gets the hold tool called first; every other answer names its question
            server.replyWith(request -> {
                String question = request.messages("user").get(request.messages("user").size() - 1).content();
                boolean toolDone = request.messages().get(request.messages().size() - 1).role().equals("tool");
                return question.startsWith("HOLD") && !toolDone
                        ? ScriptedReply.toolCalls(ToolCallSpec.of("call-" + question, "hold", "{}"))
                        : ScriptedReply.text("re: " + question);
            });
        }
        schema = "instances_" + SCHEMAS.incrementAndGet();
        storage = PostgresStorage.builder().dataSource(TempPostgres.database().dataSource()).schema(schema).build();
    }

    @AfterEach
    void stop() {
        children.forEach(ChildJvm::close);
        storage.close();
        server.close();
    }

    private ChildJvm instance(String name) throws Exception {
        ChildJvm child = ChildJvm.start(AiServiceInstance.class, dir.resolve(name), TempPostgres.database().jdbcUrl(),
                schema, server.baseUrl(), Long.toString(LEASE.toMillis()));
        children.add(child);
        assertThat(child.awaitLine("READY"::equals, WAIT)).as("%s started\n%s", name, child.describe()).isTrue();
        return child;
    }

    private static void awaitLine(ChildJvm child, String line) throws InterruptedException {
        assertThat(child.awaitLine(line::equals, WAIT)).as("waiting for %s\n%s", line, child.describe()).isTrue();
    }

    private static void assertNoFailures(ChildJvm child) {
        assertThat(child.lines()).as(child.describe()).noneMatch(l -> l.startsWith("FAILED"));
    }

    @Test
    void twoInstancesTakeTurnsSurviveAKilledHolderAndFenceOffAFrozenOne() throws Exception {
        ChildJvm a = instance("a");
        ChildJvm b = instance("b");

        // ---- 2 JVMs x 8 threads x 3 calls on one session ----
        a.send("CALLS " + THREADS + " " + CALLS + " A");
        b.send("CALLS " + THREADS + " " + CALLS + " B");
        awaitLine(a, "DONE A");
        awaitLine(b, "DONE B");
        assertNoFailures(a);
        assertNoFailures(b);

        List<Run> runs = storage.runs(AiServiceInstance.SESSION).toList();
        assertThat(runs).hasSize(2 * THREADS * CALLS);
        List<String> questions = new ArrayList<>();
        Map<String, List<Integer>> perCaller = new TreeMap<>();
        for (Run run : runs) {
            assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
            // whole and not interleaved: exactly its own question and the answer to it
            assertThat(run.messages()).extracting(Message::role).containsExactly(Role.USER,
                    Role.ASSISTANT);
            String question = run.messages().get(0).content();
            assertThat(run.messages().get(1).content()).isEqualTo("re: " + question);
            questions.add(question);
            int c = question.lastIndexOf("-c");
            perCaller.computeIfAbsent(question.substring(0, c), k -> new ArrayList<>())
                    .add(Integer.parseInt(question.substring(c + 2)));
        }
        assertThat(questions).doesNotHaveDuplicates();
        assertThat(perCaller).hasSize(2 * THREADS);
        perCaller.forEach((caller, calls) -> assertThat(calls).as(caller).containsExactly(0, 1, 2));
        // every prompt holds the 3 runs completed before it, whichever instance wrote them
        List<RecordedRequest> requests = server.requests();
        assertThat(requests).hasSize(runs.size());
        for (int i = 0; i < requests.size(); i++) {
            assertThat(requests.get(i).messages("user")).extracting(RecordedMessage::content).as("request %d", i)
                    .containsExactlyElementsOf(questions.subList(Math.max(0, i - 3), i + 1));
        }

        // ---- kill -9 the instance that holds the turn, in the middle of its call ----
        b.send("CALL HOLD-killed");
        awaitLine(b, "HOLDING");
        a.send("CALLS " + THREADS + " 1 A2"); // they wait for b's turn
        b.process.destroyForcibly();
        assertThat(b.awaitExit(WAIT)).isTrue();
        TempPostgres.database().passLeaseTime(schema, LEASE.plusSeconds(1));
        awaitLine(a, "DONE A2"); // b's lease ran out
        assertNoFailures(a);
        runs = storage.runs(AiServiceInstance.SESSION).toList();
        Run killed = runs.get(2 * THREADS * CALLS);
        assertThat(killed.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(killed.messages().get(0).content()).isEqualTo("HOLD-killed");
        assertThat(runs.subList(2 * THREADS * CALLS + 1, runs.size())).hasSize(THREADS)
                .allSatisfy(r -> assertThat(r.status()).isEqualTo(RunStatus.COMPLETED));

        // ---- a frozen instance loses its turn and, resumed, cannot write ----
        ChildJvm c = instance("c");
        c.send("CALL HOLD-frozen");
        awaitLine(c, "HOLDING");
        signal(c, "-STOP");
        a.send("CALLS 1 1 A3");
        TempPostgres.database().passLeaseTime(schema, LEASE.plusSeconds(1));
        awaitLine(a, "DONE A3"); // c's lease ran out
        signal(c, "-CONT");
        c.send("GO"); // the hold tool returns: its result is the call's next write
        assertThat(c.awaitLine(l -> l.startsWith("FAILED HOLD-frozen") || l.startsWith("CALLED HOLD-frozen"), WAIT))
                .as(c.describe()).isTrue();
        assertThat(c.lines()).as(c.describe()).anySatisfy(l -> assertThat(l)
                .startsWith("FAILED HOLD-frozen StaleTurnException").contains("session shared of user alice"));
        assertNoFailures(a);

        List<Run> end = storage.runs(AiServiceInstance.SESSION).toList();
        Run frozen = end.get(end.size() - 2);
        assertThat(frozen.messages().get(0).content()).isEqualTo("HOLD-frozen");
        assertThat(frozen.status()).isEqualTo(RunStatus.RUNNING);
        assertThat(frozen.messages()).extracting(Message::role).doesNotContain(Role.TOOL);
        Run last = end.get(end.size() - 1);
        assertThat(last.messages()).extracting(Message::content).containsExactly("A3-t0-c0", "re: A3-t0-c0");
        assertThat(last.status()).isEqualTo(RunStatus.COMPLETED);
    }

    private static void signal(ChildJvm child, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(child.process.pid())).inheritIO().start();
        assertThat(kill.waitFor()).as("kill %s", signal).isZero();
    }
}
