package dev.agnomemory.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.agnomemory.core.testing.Texts.assertSameTexts;
import static org.assertj.core.groups.Tuple.tuple;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.testing.TickingClock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The implementation-neutral rules of {@link MemoryStorage}: an implementation that passes this suite keeps the
 * contract its Javadoc states. Published in this module's test jar ({@code agno-memory-core}, classifier
 * {@code tests}), as langchain4j-core publishes its abstract {@code EmbeddingStoreIT}: extend it, open a fresh,
 * empty storage in {@link #openStorage}, and (for storage that outlives the object) reopen it in
 * {@link #reopenStorage}, so that every rule is also checked after a restart.
 */
public abstract class MemoryStorageContractTest {

    protected static final SessionKey ALICE_1 = SessionKey.of("alice", "s1");
    protected static final SessionKey ALICE_2 = SessionKey.of("alice", "s2");
    protected static final SessionKey BOB_1 = SessionKey.of("bob", "s1");

    /** The clock the storage must use for every time it records; it ticks one millisecond per reading. */
    protected final TickingClock clock = new TickingClock();

    /** The storage under test; {@link #reopen()} replaces it. */
    protected MemoryStorage storage;

    /**
     * Opens a fresh, empty storage that reads the time from {@code clock}. Called before every test.
     *
     * @param clock the clock for session, run, memory and summary times
     * @return the storage
     */
    protected abstract MemoryStorage openStorage(TickingClock clock);

    /**
     * Closes {@code current} and opens the same data again, as a new process would. The default keeps the same
     * instance, for storage that lives only in memory.
     *
     * @param current the open storage
     * @param clock the clock
     * @return the storage to continue with
     */
    protected MemoryStorage reopenStorage(MemoryStorage current, TickingClock clock) {
        return current;
    }

    @BeforeEach
    void openTheStorage() {
        storage = openStorage(clock);
    }

    @AfterEach
    void closeTheStorage() {
        if (storage != null) {
            storage.close();
        }
    }

    protected final void reopen() {
        storage = reopenStorage(storage, clock);
    }

    protected final void addRun(SessionKey key, String runId, String question, String answer) {
        storage.appendMessage(key, runId, Message.user(question));
        storage.appendMessage(key, runId, Message.assistant(answer));
        storage.completeRun(key, runId);
    }

    private static SessionSummary summary(String text, long lastRun) {
        return new SessionSummary(text, List.of("topic"), lastRun, Instant.parse("2026-01-01T00:00:00Z"));
    }

    private static RunMetrics metrics(long in, long out, int modelCalls, int toolCalls) {
        return new RunMetrics(Optional.of("gpt-test"), in, out, in + out, modelCalls, toolCalls, Optional.of("STOP"));
    }

    // ---- sessions ----

    @Test
    void createsASessionOnceAndReadsItBack() {
        Session created = storage.getOrCreateSession(ALICE_1, "agent-x");
        Session again = storage.getOrCreateSession(ALICE_1, "other-agent");

        assertThat(again).isEqualTo(created);
        assertThat(created.key()).isEqualTo(ALICE_1);
        assertThat(created.agentId()).contains("agent-x");
        assertThat(created.name()).isEmpty();
        assertThat(created.runCount()).isZero();
        assertThat(created.summary()).isEmpty();
        assertThat(created.data()).isEmpty();
        assertThat(created.state()).isEqualTo(Session.EMPTY_STATE);
        assertThat(created.metrics()).isEqualTo(RunMetrics.NONE);
        assertThat(created.version()).isPositive();
        assertThat(created.createdAt()).isEqualTo(created.updatedAt());
        assertThat(storage.sessionVersion(ALICE_1)).hasValue(created.version());
        reopen();
        assertThat(storage.session(ALICE_1)).contains(created);
    }

    @Test
    void anUnknownSessionReadsAsEmptyAndIsNotChanged() {
        SessionKey unknown = SessionKey.of("nobody", "nothing");
        assertThat(storage.session(unknown)).isEmpty();
        assertThat(storage.sessionVersion(unknown)).isEmpty();
        assertThat(storage.lastRuns(unknown, 3)).isEmpty();
        assertThat(storage.lastCompletedRuns(unknown, 3)).isEmpty();
        assertThat(storage.runs(unknown)).isEmpty();
        assertThat(storage.summary(unknown)).isEmpty();
        assertThat(storage.messagesBetween(unknown, new MessagePosition(0, 0), new MessagePosition(5, 0))).isEmpty();
        assertThat(storage.updateSessionData(unknown, d -> Map.of("a", "b"))).isEmpty();
        assertThat(storage.updateSessionState(unknown, s -> "{\"a\":1}")).isEmpty();
        assertThat(storage.renameSession(unknown, "name")).isEmpty();
        assertThat(storage.saveSummary(unknown, summary("x", 0))).isFalse();
        assertThat(storage.deleteSession(unknown)).isFalse();
        assertThat(storage.sessions(SessionFilter.any())).isEmpty();
        assertThat(storage.memories("nobody")).isEmpty();
        assertThat(storage.memoriesVersion("nobody")).isZero();
        assertThat(storage.memoryHistory("nobody", "m")).isEmpty();
        assertThat(storage.memoryEmbeddings("nobody")).isEmpty();
        assertThat(storage.session(unknown)).as("still nothing created").isEmpty();
    }

    @Test
    void writingToAnUnknownSessionIsAClearErrorThatStoresNothing() {
        assertThatThrownBy(() -> storage.appendMessage(ALICE_1, "r1", Message.user("hi")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("s1").hasMessageContaining("alice");
        assertThatThrownBy(() -> storage.appendMessages(ALICE_1, "r1", List.of(Message.user("hi"))))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> storage.completeRun(ALICE_1, "r1")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> storage.finishRun(ALICE_1, "r1", RunOutcome.cancelled(RunMetrics.NONE)))
                .isInstanceOf(IllegalStateException.class);
        assertThat(storage.session(ALICE_1)).isEmpty();
    }

    @Test
    void updatesSessionDataAtomically() {
        Session created = storage.getOrCreateSession(ALICE_1, null);
        Optional<Session> updated = storage.updateSessionData(ALICE_1, d -> Map.of("name", "Trip planning"));
        assertThat(updated).isPresent();
        assertThat(updated.orElseThrow().data()).containsExactly(Map.entry("name", "Trip planning"));
        assertThat(updated.orElseThrow().version()).isGreaterThan(created.version());
        storage.updateSessionData(ALICE_1, d -> {
            Map<String, String> next = new HashMap<>(d);
            next.put("step", "2");
            return next;
        });
        reopen();
        Session reread = storage.session(ALICE_1).orElseThrow();
        assertThat(reread.data()).containsExactlyInAnyOrderEntriesOf(Map.of("name", "Trip planning", "step", "2"));
        assertThat(storage.updateSessionData(ALICE_1, d -> d)).as("no change, no write").contains(reread);
        assertThat(storage.session(ALICE_1)).contains(reread);
        storage.updateSessionData(ALICE_1, d -> Map.of());
        assertThat(storage.session(ALICE_1).orElseThrow().data()).isEmpty();
        assertThatThrownBy(() -> storage.updateSessionData(ALICE_1, d -> null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("updated data");
    }

    @Test
    void keepsTheSessionStateAsAJsonObject() {
        storage.getOrCreateSession(ALICE_1, null);
        String state = "{\"cart\":[\"tea\",{\"qty\":2}],\"step\":3,\"name\":\"Zoë 👩‍🚀\",\"ok\":true,\"none\":null}";
        Session updated = storage.updateSessionState(ALICE_1, s -> {
            assertThat(s).isEqualTo(Session.EMPTY_STATE);
            return state;
        }).orElseThrow();
        assertThat(updated.state()).isEqualTo(state);
        reopen();
        assertThat(storage.session(ALICE_1).orElseThrow().state()).isEqualTo(state);

        long version = storage.sessionVersion(ALICE_1).orElseThrow();
        for (String bad : List.of("[1,2]", "\"text\"", "{\"a\":1", "{\"a\":1} {}", "{\"a\":1,\"a\":2}", "", "null")) {
            assertThatThrownBy(() -> storage.updateSessionState(ALICE_1, s -> bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("state");
        }
        assertThat(storage.session(ALICE_1).orElseThrow().state()).as("nothing stored").isEqualTo(state);
        assertThat(storage.sessionVersion(ALICE_1)).hasValue(version);
    }

    @Test
    void namesAndRenamesASession() {
        storage.getOrCreateSession(ALICE_1, null);
        assertThat(storage.renameSession(ALICE_1, "Lisbon trip").orElseThrow().name()).contains("Lisbon trip");
        reopen();
        assertThat(storage.session(ALICE_1).orElseThrow().name()).contains("Lisbon trip");
        assertThat(storage.sessions(SessionFilter.byUser("alice"))).extracting(Session::name)
                .containsExactly(Optional.of("Lisbon trip"));
        assertThat(storage.renameSession(ALICE_1, null).orElseThrow().name()).isEmpty();
        assertThatThrownBy(() -> storage.renameSession(ALICE_1, " ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name");
    }

    @Test
    void theVersionGrowsWithEveryChangeAndNeverRepeatsForAKey() {
        List<Long> versions = new ArrayList<>();
        Supplier<Long> version = () -> storage.sessionVersion(ALICE_1).orElseThrow();
        versions.add(storage.getOrCreateSession(ALICE_1, null).version());
        storage.appendMessage(ALICE_1, "r1", Message.user("q"));
        versions.add(version.get());
        storage.completeRun(ALICE_1, "r1");
        versions.add(version.get());
        storage.updateSessionData(ALICE_1, d -> Map.of("k", "v"));
        versions.add(version.get());
        storage.updateSessionState(ALICE_1, s -> "{\"k\":1}");
        versions.add(version.get());
        storage.renameSession(ALICE_1, "n");
        versions.add(version.get());
        storage.saveSummary(ALICE_1, summary("s", 0));
        versions.add(version.get());
        assertThat(versions).isSorted().doesNotHaveDuplicates();
        assertThat(storage.session(ALICE_1).orElseThrow().version()).isEqualTo(versions.get(versions.size() - 1));

        long before = version.get();
        storage.getOrCreateSession(ALICE_2, null); // another session's change
        assertThat(version.get()).as("other sessions do not change it").isEqualTo(before);
        storage.deleteSession(ALICE_1);
        reopen();
        long recreated = storage.getOrCreateSession(ALICE_1, null).version();
        assertThat(recreated).as("a deleted and re-created session gets a larger version").isGreaterThan(before);
    }

    @Test
    void listsSessionsByUserAndAgentNewestFirstInPages() {
        storage.getOrCreateSession(ALICE_1, "agent-a");
        storage.getOrCreateSession(ALICE_2, "agent-b");
        storage.getOrCreateSession(BOB_1, "agent-a");
        addRun(ALICE_1, "r1", "q", "a"); // alice/s1 is now the most recently updated
        reopen();

        assertThat(storage.sessionKeys(SessionFilter.any())).containsExactly(ALICE_1, BOB_1, ALICE_2);
        assertThat(storage.sessionKeys(SessionFilter.byUser("alice"))).containsExactly(ALICE_1, ALICE_2);
        assertThat(storage.sessionKeys(SessionFilter.byAgent("agent-a"))).containsExactly(ALICE_1, BOB_1);
        assertThat(storage.sessionKeys(SessionFilter.byUserAndAgent("alice", "agent-b"))).containsExactly(ALICE_2);
        assertThat(storage.sessions(SessionFilter.byUser("carol"))).isEmpty();
        assertThat(storage.sessions(SessionFilter.byUser("alice")).get(0).runCount()).isEqualTo(1);

        assertThat(storage.sessionKeys(SessionFilter.any().limit(2))).containsExactly(ALICE_1, BOB_1);
        assertThat(storage.sessionKeys(SessionFilter.any().offset(1).limit(1))).containsExactly(BOB_1);
        assertThat(storage.sessionKeys(SessionFilter.any().offset(2).limit(5))).containsExactly(ALICE_2);
        assertThat(storage.sessionKeys(SessionFilter.any().offset(3))).isEmpty();
        assertThat(storage.sessionKeys(SessionFilter.byUser("alice").offset(1))).containsExactly(ALICE_2);
        assertThatThrownBy(() -> SessionFilter.any().limit(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit");
        assertThatThrownBy(() -> SessionFilter.any().offset(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset");
    }

    @Test
    void sessionStampsFollowEveryChangeOfTheUsersSessionsOnly() {
        storage.getOrCreateSession(ALICE_1, "agent-a");
        storage.getOrCreateSession(ALICE_2, null);
        storage.getOrCreateSession(BOB_1, null);
        addRun(ALICE_1, "r1", "q", "a");
        reopen();
        assertThat(storage.sessionStamps("alice")).containsExactlyInAnyOrderElementsOf(
                storage.sessions(SessionFilter.byUser("alice")).stream().map(SessionStamp::of).toList());
        assertThat(storage.sessionStamps("carol")).isEmpty();

        long before = storage.sessionVersion(ALICE_2).orElseThrow();
        addRun(ALICE_2, "r1", "q", "a");
        storage.deleteSession(ALICE_1);
        assertThat(storage.sessionStamps("alice")).singleElement().satisfies(s -> {
            assertThat(s.key()).isEqualTo(ALICE_2);
            assertThat(s.version()).isGreaterThan(before).isEqualTo(storage.sessionVersion(ALICE_2).orElseThrow());
            assertThat(s.createdAt()).isEqualTo(storage.session(ALICE_2).orElseThrow().createdAt());
        });
        assertThatThrownBy(() -> storage.sessionStamps(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("userId");
    }

    @Test
    void equalSessionIdsOfTwoUsersAreTwoSessions() {
        storage.getOrCreateSession(ALICE_1, null);
        storage.getOrCreateSession(BOB_1, null);
        addRun(ALICE_1, "r1", "alice's secret", "ok");
        addRun(BOB_1, "r1", "bob's question", "ok");

        assertThat(storage.lastRuns(ALICE_1, 5)).flatExtracting(Run::messages).extracting(Message::content)
                .containsExactly("alice's secret", "ok");
        assertThat(storage.lastRuns(BOB_1, 5)).flatExtracting(Run::messages).extracting(Message::content)
                .containsExactly("bob's question", "ok");
        storage.deleteSession(BOB_1);
        assertThat(storage.session(ALICE_1)).isPresent();
        assertThat(storage.lastRuns(ALICE_1, 5)).hasSize(1);
    }

    @Test
    void deletesASessionWithAllItsRunsAndTheKeyStartsOver() {
        storage.getOrCreateSession(ALICE_1, null);
        storage.getOrCreateSession(ALICE_2, null);
        addRun(ALICE_1, "r1", "q", "a");
        storage.saveSummary(ALICE_1, summary("old summary", 0));
        addRun(ALICE_2, "r1", "keep", "me");
        assertThat(storage.deleteSession(ALICE_1)).isTrue();
        assertThat(storage.deleteSession(ALICE_1)).isFalse();
        reopen();
        assertThat(storage.session(ALICE_1)).isEmpty();
        assertThat(storage.lastRuns(ALICE_1, 3)).isEmpty();
        assertThat(storage.lastRuns(ALICE_2, 3)).hasSize(1);

        Session fresh = storage.getOrCreateSession(ALICE_1, null);
        assertThat(fresh.runCount()).isZero();
        assertThat(fresh.summary()).isEmpty();
        addRun(ALICE_1, "r1", "fresh", "start");
        assertThat(storage.lastRuns(ALICE_1, 5)).hasSize(1).first().extracting(Run::sequence).isEqualTo(0L);
        assertThat(storage.runs(ALICE_1).flatMap(r -> r.messages().stream()).map(Message::content))
                .containsExactly("fresh", "start");
    }

    // ---- runs ----

    @Test
    void messageIdsAreTheCallersKeptVerbatimAndNotCheckedForUniqueness() {
        storage.getOrCreateSession(ALICE_1, null);
        storage.getOrCreateSession(BOB_1, null);
        Message first = Message.builder(Role.USER).id("same-id").content("first").build();
        Message second = Message.builder(Role.ASSISTANT).id("same-id").content("second").build();
        storage.appendMessages(ALICE_1, "r0", List.of(first, second));
        storage.appendMessage(BOB_1, "r0", Message.builder(Role.USER).id("same-id").content("bob's").build());
        reopen();
        assertThat(storage.lastRuns(ALICE_1, 1).get(0).messages()).extracting(Message::id, Message::content)
                .containsExactly(tuple("same-id", "first"), tuple("same-id", "second"));
        assertThat(storage.lastRuns(BOB_1, 1).get(0).messages()).extracting(Message::id)
                .containsExactly("same-id");
        assertThat(Message.user("x").id()).as("generated ids differ").isNotEqualTo(Message.user("x").id());
    }

    @Test
    void appendReturnsStablePositionsAndRangesCrossRuns() {
        storage.getOrCreateSession(ALICE_1, null);
        MessagePosition first = storage.appendMessage(ALICE_1, "r0", Message.user("q0"));
        List<MessagePosition> batch = storage.appendMessages(ALICE_1, "r0", List.of(Message.assistant("a0-part"),
                Message.assistant("a0")));
        storage.completeRun(ALICE_1, "r0");
        List<MessagePosition> second = storage.appendMessages(ALICE_1, "r1", List.of(Message.user("q1"),
                Message.assistant("a1")));
        assertThat(first).isEqualTo(new MessagePosition(0, 0));
        assertThat(batch).containsExactly(new MessagePosition(0, 1), new MessagePosition(0, 2));
        assertThat(second).containsExactly(new MessagePosition(1, 0), new MessagePosition(1, 1));
        reopen();
        assertThat(storage.messagesBetween(ALICE_1, new MessagePosition(0, 2), new MessagePosition(1, 0)))
                .extracting(Message::content).containsExactly("a0", "q1");
        assertThat(storage.messagesBetween(ALICE_1, first, first)).extracting(Message::content).containsExactly("q0");
        assertThat(storage.lastRuns(ALICE_1, 2).get(0).messages()).extracting(Message::content)
                .containsExactly("q0", "a0-part", "a0");
        assertThatThrownBy(() -> storage.messagesBetween(ALICE_1, second.get(0), first))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.appendMessages(ALICE_1, "r2", List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("messages");
        assertThat(storage.session(ALICE_1).orElseThrow().runCount()).as("the rejected batch started no run")
                .isEqualTo(2);
    }

    @Test
    void appendsRunsInOrderAndReadsTheLastN() {
        storage.getOrCreateSession(ALICE_1, null);
        for (int i = 0; i < 10; i++) {
            addRun(ALICE_1, "run-" + i, "question " + i, "answer " + i);
        }
        reopen();
        List<Run> last = storage.lastRuns(ALICE_1, 3);
        assertThat(last).extracting(Run::runId).containsExactly("run-7", "run-8", "run-9");
        assertThat(last).extracting(Run::sequence).containsExactly(7L, 8L, 9L);
        assertThat(last.get(2).messages()).extracting(Message::role).containsExactly(Role.USER, Role.ASSISTANT);
        assertThat(last.get(2).messages()).extracting(Message::content).containsExactly("question 9", "answer 9");
        assertThat(last).allSatisfy(r -> {
            assertThat(r.completed()).isTrue();
            assertThat(r.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(r.finishedAt()).isPresent();
            assertThat(r.duration()).isPresent();
            assertThat(r.session()).isEqualTo(ALICE_1);
        });
        assertThat(storage.lastRuns(ALICE_1, 100)).hasSize(10);
        assertThat(storage.lastCompletedRuns(ALICE_1, 2)).extracting(Run::runId).containsExactly("run-8", "run-9");
        assertThat(storage.session(ALICE_1).orElseThrow().runCount()).isEqualTo(10);
    }

    @Test
    void streamsAllRunsOldestFirstAcrossPagesWithoutHoldingResources() {
        storage.getOrCreateSession(ALICE_1, null);
        for (int i = 0; i < 150; i++) {
            storage.appendMessage(ALICE_1, "r" + i, Message.user("m" + i));
            storage.completeRun(ALICE_1, "r" + i);
        }
        List<String> ids = storage.runs(ALICE_1).map(Run::runId).collect(Collectors.toList());
        assertThat(ids).hasSize(150).startsWith("r0", "r1").endsWith("r148", "r149");
        assertThat(storage.runs(ALICE_1).limit(2).map(Run::runId)).containsExactly("r0", "r1");

        // a stream left open half-way blocks nothing: writes and other reads go on
        var iterator = storage.runs(ALICE_1).iterator();
        assertThat(iterator.next().runId()).isEqualTo("r0");
        addRun(ALICE_1, "r150", "more", "runs");
        assertThat(storage.lastRuns(ALICE_1, 1)).extracting(Run::runId).containsExactly("r150");
        int seen = 1;
        while (iterator.hasNext()) {
            iterator.next();
            seen++;
        }
        assertThat(seen).isBetween(150, 151);
    }

    @Test
    void keepsToolCallsAndToolResultsInARun() {
        storage.getOrCreateSession(ALICE_1, null);
        Message call = Message.assistant("", List.of(new ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}"),
                new ToolCall(null, "no_id_tool", "")));
        Message result = Message.toolResult("call_1", "get_weather", "{\"temp\":21}", false);
        Message failed = Message.toolResult("call_2", "broken_tool", "boom", true);
        Message withPayload = Message.builder(Role.ASSISTANT).content("21 degrees").payload("{\"adapter\":1}")
                .build();
        storage.appendMessage(ALICE_1, "r1", Message.user("weather?"));
        storage.appendMessage(ALICE_1, "r1", call);
        storage.appendMessages(ALICE_1, "r1", List.of(result, failed));
        storage.appendMessage(ALICE_1, "r1", withPayload);
        storage.completeRun(ALICE_1, "r1");
        reopen();
        Run run = storage.lastRuns(ALICE_1, 1).get(0);
        assertThat(run.messages()).hasSize(5);
        assertThat(run.messages().get(1)).isEqualTo(call);
        assertThat(run.messages().get(2)).isEqualTo(result);
        assertThat(run.messages().get(3)).isEqualTo(failed);
        assertThat(run.messages().get(3).error()).isTrue();
        assertThat(run.messages().get(4)).isEqualTo(withPayload);
    }

    @Test
    void aRunThatWasNeverFinishedIsKeptAndRecognisable() {
        storage.getOrCreateSession(ALICE_1, null);
        addRun(ALICE_1, "r1", "q1", "a1");
        storage.appendMessage(ALICE_1, "r2", Message.user("cut off"));
        addRun(ALICE_1, "r3", "q3", "a3");
        reopen();

        assertThat(storage.lastRuns(ALICE_1, 3)).extracting(Run::runId, Run::status)
                .containsExactly(tuple("r1", RunStatus.COMPLETED), tuple("r2", RunStatus.RUNNING),
                        tuple("r3", RunStatus.COMPLETED));
        Run cutOff = storage.lastRuns(ALICE_1, 3).get(1);
        assertThat(cutOff.finishedAt()).isEmpty();
        assertThat(cutOff.completed()).isFalse();
        assertThat(cutOff.messages()).extracting(Message::content).containsExactly("cut off");
        assertThat(storage.lastCompletedRuns(ALICE_1, 2)).extracting(Run::runId).containsExactly("r1", "r3");
        assertThat(storage.lastCompletedRuns(ALICE_1, 5)).extracting(Run::runId).containsExactly("r1", "r3");
    }

    @Test
    void runRulesAreEnforcedWithoutChangingAnything() {
        storage.getOrCreateSession(ALICE_1, null);
        assertThatThrownBy(() -> storage.completeRun(ALICE_1, "r0")).as("a session without runs")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not the current run");
        addRun(ALICE_1, "r1", "q1", "a1");
        assertThatThrownBy(() -> storage.appendMessage(ALICE_1, "r1", Message.user("late")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already finished");
        addRun(ALICE_1, "r2", "q2", "a2");
        assertThatThrownBy(() -> storage.appendMessage(ALICE_1, "r1", Message.user("old")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("earlier run");
        assertThatThrownBy(() -> storage.completeRun(ALICE_1, "r1"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not the current run");
        long version = storage.sessionVersion(ALICE_1).orElseThrow();
        storage.completeRun(ALICE_1, "r2"); // finishing twice does nothing
        storage.finishRun(ALICE_1, "r2", RunOutcome.error("too late", RunMetrics.NONE));
        assertThat(storage.sessionVersion(ALICE_1)).hasValue(version);
        reopen();
        assertThat(storage.lastRuns(ALICE_1, 5)).extracting(Run::runId, Run::status, r -> r.messages().size())
                .containsExactly(tuple("r1", RunStatus.COMPLETED, 2), tuple("r2", RunStatus.COMPLETED, 2));
    }

    @Test
    void recordsHowRunsEndAndWhatTheyCost() {
        storage.getOrCreateSession(ALICE_1, null);
        storage.appendMessage(ALICE_1, "ok", Message.user("q"));
        storage.appendMessage(ALICE_1, "ok", Message.assistant("a"));
        storage.finishRun(ALICE_1, "ok", RunOutcome.completed(metrics(100, 20, 2, 1)));
        storage.appendMessage(ALICE_1, "failed", Message.user("q2"));
        storage.finishRun(ALICE_1, "failed", RunOutcome.error("model timed out", metrics(50, 0, 1, 0)));
        storage.appendMessage(ALICE_1, "stopped", Message.user("q3"));
        storage.finishRun(ALICE_1, "stopped", RunOutcome.cancelled(RunMetrics.NONE));
        reopen();

        List<Run> runs = storage.lastRuns(ALICE_1, 3);
        assertThat(runs).extracting(Run::status).containsExactly(RunStatus.COMPLETED, RunStatus.ERROR,
                RunStatus.CANCELLED);
        assertThat(runs.get(0).metrics()).isEqualTo(metrics(100, 20, 2, 1));
        assertThat(runs.get(0).error()).isEmpty();
        assertThat(runs.get(1).error()).contains("model timed out");
        assertThat(runs.get(1).metrics()).isEqualTo(metrics(50, 0, 1, 0));
        assertThat(runs.get(2).metrics()).isEqualTo(RunMetrics.NONE);
        assertThat(runs).allSatisfy(r -> assertThat(r.finishedAt()).isPresent());
        assertThat(storage.lastCompletedRuns(ALICE_1, 3)).extracting(Run::runId).containsExactly("ok");

        RunMetrics totals = storage.session(ALICE_1).orElseThrow().metrics();
        assertThat(totals.inputTokens()).isEqualTo(150);
        assertThat(totals.outputTokens()).isEqualTo(20);
        assertThat(totals.totalTokens()).isEqualTo(170);
        assertThat(totals.modelCalls()).isEqualTo(3);
        assertThat(totals.toolCalls()).isEqualTo(1);
        assertThat(totals.model()).contains("gpt-test");
    }

    @Test
    void finishingARunWithItsLastMessagesStoresBoth() {
        storage.getOrCreateSession(ALICE_1, null);
        storage.appendMessage(ALICE_1, "r1", Message.user("q1"));
        long before = storage.sessionVersion(ALICE_1).orElseThrow();
        List<MessagePosition> positions = storage.finishRun(ALICE_1, "r1", List.of(Message.assistant("thinking"),
                Message.assistant("a1")), RunOutcome.completed(metrics(10, 5, 1, 0)));
        assertThat(positions).containsExactly(new MessagePosition(0, 1), new MessagePosition(0, 2));
        assertThat(storage.sessionVersion(ALICE_1).orElseThrow()).isGreaterThan(before);
        // a new run id starts a run of just these messages, finished at once
        assertThat(storage.finishRun(ALICE_1, "r2", List.of(Message.assistant("stopped early")),
                RunOutcome.cancelled(RunMetrics.NONE))).containsExactly(new MessagePosition(1, 0));
        reopen();

        List<Run> runs = storage.lastRuns(ALICE_1, 5);
        assertThat(runs).extracting(Run::runId, Run::status).containsExactly(tuple("r1", RunStatus.COMPLETED),
                tuple("r2", RunStatus.CANCELLED));
        assertThat(runs.get(0).messages()).extracting(Message::content).containsExactly("q1", "thinking", "a1");
        assertThat(runs.get(0).metrics()).isEqualTo(metrics(10, 5, 1, 0));
        assertThat(runs.get(1).messages()).extracting(Message::content).containsExactly("stopped early");
        assertThat(runs).allSatisfy(r -> assertThat(r.finishedAt()).isPresent());
        assertThat(storage.lastCompletedRuns(ALICE_1, 5)).extracting(Run::runId).containsExactly("r1");
        Session session = storage.session(ALICE_1).orElseThrow();
        assertThat(session.runCount()).isEqualTo(2);
        assertThat(session.metrics().inputTokens()).isEqualTo(10);
        assertThat(storage.messagesBetween(ALICE_1, new MessagePosition(0, 2), new MessagePosition(1, 0)))
                .extracting(Message::content).containsExactly("a1", "stopped early");
    }

    @Test
    void finishingARunWithMessagesFollowsTheRunRulesAndStoresNothingWhenRefused() {
        assertThatThrownBy(() -> storage.finishRun(ALICE_1, "r0", List.of(Message.assistant("a")),
                RunOutcome.completed())).isInstanceOf(IllegalStateException.class).hasMessageContaining("No session");
        storage.getOrCreateSession(ALICE_1, null);
        addRun(ALICE_1, "r1", "q1", "a1");
        long version = storage.sessionVersion(ALICE_1).orElseThrow();
        assertThatThrownBy(() -> storage.finishRun(ALICE_1, "r1", List.of(Message.assistant("late")),
                RunOutcome.completed())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already finished");
        addRun(ALICE_1, "r2", "q2", "a2");
        long version2 = storage.sessionVersion(ALICE_1).orElseThrow();
        assertThat(version2).isGreaterThan(version);
        assertThatThrownBy(() -> storage.finishRun(ALICE_1, "r1", List.of(Message.assistant("old")),
                RunOutcome.error("old", RunMetrics.NONE))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("earlier run");
        assertThat(storage.sessionVersion(ALICE_1)).hasValue(version2);
        reopen();
        assertThat(storage.lastRuns(ALICE_1, 5)).extracting(Run::runId, Run::status, r -> r.messages().size())
                .containsExactly(tuple("r1", RunStatus.COMPLETED, 2), tuple("r2", RunStatus.COMPLETED, 2));
        assertThat(storage.session(ALICE_2)).isEmpty();
    }

    // ---- summaries ----

    @Test
    void savesAndReplacesTheSummary() {
        storage.getOrCreateSession(ALICE_1, null);
        SessionSummary first = summary("Alice plans a trip.", 0);
        SessionSummary second = new SessionSummary("Alice booked Lisbon.", List.of("travel", "lisbon"), 4,
                Instant.parse("2026-01-02T03:04:05.123456789Z"));
        assertThat(storage.saveSummary(ALICE_1, first)).isTrue();
        assertThat(storage.summary(ALICE_1)).contains(first);
        storage.saveSummary(ALICE_1, second);
        reopen();
        assertThat(storage.summary(ALICE_1)).contains(second);
        assertThat(storage.session(ALICE_1).orElseThrow().summary()).contains(second);
    }

    // ---- memories ----

    @Test
    void addsUpdatesListsAndDeletesMemoriesOfOneUserOnly() {
        UserMemory likesTea = UserMemory.create("alice", "Alice likes green tea", List.of("preferences"), "I love tea");
        UserMemory livesInOslo = UserMemory.create("alice", "Alice lives in Oslo", List.of("location"), null)
                .withAgentId("travel-agent");
        UserMemory bobs = UserMemory.create("bob", "Bob is a pilot", List.of("work"), null);
        storage.saveMemory(likesTea);
        storage.saveMemory(livesInOslo);
        storage.saveMemory(bobs);

        UserMemory updated = likesTea.withMemory("Alice prefers black tea", List.of("preferences", "drinks"));
        storage.saveMemory(updated);
        reopen();

        assertThat(storage.memories("alice")).containsExactlyInAnyOrder(updated, livesInOslo);
        assertThat(storage.memory("alice", livesInOslo.memoryId()).orElseThrow().agentId()).contains("travel-agent");
        assertThat(storage.memory("alice", likesTea.memoryId())).contains(updated);
        assertThat(storage.memory("bob", likesTea.memoryId())).isEmpty();

        assertThat(storage.deleteMemory("alice", livesInOslo.memoryId())).isTrue();
        assertThat(storage.deleteMemory("alice", livesInOslo.memoryId())).isFalse();
        assertThat(storage.deleteMemory("bob", likesTea.memoryId())).isFalse();
        assertThat(storage.memories("alice")).containsExactly(updated);

        assertThat(storage.deleteMemories("alice")).isEqualTo(1);
        assertThat(storage.deleteMemories("alice")).isZero();
        reopen();
        assertThat(storage.memories("alice")).isEmpty();
        assertThat(storage.memories("bob")).containsExactly(bobs);
    }

    @Test
    void memoriesAreListedOldestFirstAndInPages() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        List<UserMemory> expected = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            // ids in the opposite order of creation times: the order must come from the times
            expected.add(new UserMemory("m-" + (9 - i), "alice", "fact " + i, List.of(), null, t0.plusSeconds(i),
                    t0.plusSeconds(i)));
        }
        for (int i = expected.size() - 1; i >= 0; i--) {
            storage.saveMemory(expected.get(i));
        }
        assertThat(storage.memories("alice")).containsExactlyElementsOf(expected);
        assertThat(storage.memories("alice", 1, 2)).containsExactly(expected.get(1), expected.get(2));
        assertThat(storage.memories("alice", 4, 10)).containsExactly(expected.get(4));
        assertThat(storage.memories("alice", 5, 10)).isEmpty();
        assertThatThrownBy(() -> storage.memories("alice", -1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.memories("alice", 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void recordsTheHistoryOfEveryMemoryChange() {
        UserMemory tea = UserMemory.create("alice", "Alice likes tea", List.of("drinks"), "I like tea");
        storage.saveMemory(tea, MemoryChangeCause.memoryModel("s1", "run-1"));
        storage.saveMemory(tea); // unchanged: no history entry
        UserMemory coffee = tea.withMemory("Alice switched to coffee", List.of("drinks", "habits"));
        storage.saveMemory(coffee, MemoryChangeCause.agenticTool("s2", "run-7"));
        storage.deleteMemory("alice", tea.memoryId());
        storage.saveMemory(UserMemory.create("bob", "Bob likes tea", null, null));
        reopen();

        List<MemoryChange> history = storage.memoryHistory("alice", tea.memoryId());
        assertThat(history).extracting(MemoryChange::kind).containsExactly(MemoryChange.Kind.ADDED,
                MemoryChange.Kind.UPDATED, MemoryChange.Kind.DELETED);
        MemoryChange added = history.get(0);
        assertThat(added.previousMemory()).isEmpty();
        assertThat(added.newMemory()).contains("Alice likes tea");
        assertThat(added.newTopics()).containsExactly("drinks");
        assertThat(added.cause()).isEqualTo(MemoryChangeCause.memoryModel("s1", "run-1"));
        MemoryChange changed = history.get(1);
        assertThat(changed.previousMemory()).contains("Alice likes tea");
        assertThat(changed.newMemory()).contains("Alice switched to coffee");
        assertThat(changed.previousTopics()).containsExactly("drinks");
        assertThat(changed.newTopics()).containsExactly("drinks", "habits");
        assertThat(changed.cause().source()).isEqualTo(MemoryChangeCause.Source.AGENTIC_TOOL);
        MemoryChange deleted = history.get(2);
        assertThat(deleted.previousMemory()).contains("Alice switched to coffee");
        assertThat(deleted.newMemory()).isEmpty();
        assertThat(deleted.cause()).isEqualTo(MemoryChangeCause.application());
        assertThat(history).extracting(MemoryChange::at).isSorted();
        assertThat(storage.memoryHistory("bob", tea.memoryId())).as("another user's id").isEmpty();

        storage.deleteMemories("alice");
        assertThat(storage.memoryHistory("alice", tea.memoryId())).as("gone with the user's memories").isEmpty();
        assertThat(storage.memories("bob")).hasSize(1);
    }

    @Test
    void theMemoriesVersionGrowsWithEveryChangeOfThatUsersMemories() {
        assertThat(storage.memoriesVersion("alice")).isZero();
        UserMemory tea = UserMemory.create("alice", "Alice likes tea", null, null);
        List<Long> versions = new ArrayList<>();
        storage.saveMemory(tea);
        versions.add(storage.memoriesVersion("alice"));
        storage.saveMemory(tea.withMemory("Alice likes coffee", null));
        versions.add(storage.memoriesVersion("alice"));
        long beforeBob = storage.memoriesVersion("alice");
        storage.saveMemory(UserMemory.create("bob", "Bob", null, null));
        assertThat(storage.memoriesVersion("alice")).as("another user's change").isEqualTo(beforeBob);
        storage.deleteMemory("alice", tea.memoryId());
        versions.add(storage.memoriesVersion("alice"));
        storage.saveMemory(UserMemory.create("alice", "Alice is back", null, null));
        versions.add(storage.memoriesVersion("alice"));
        storage.deleteMemories("alice");
        reopen();
        versions.add(storage.memoriesVersion("alice"));
        assertThat(versions).isSorted().doesNotHaveDuplicates().allSatisfy(v -> assertThat(v).isPositive());
    }

    @Test
    void embeddingsAreStoredWithMemoriesAndDeletedWithThem() {
        UserMemory tea = UserMemory.create("alice", "Alice likes tea", null, null);
        UserMemory oslo = UserMemory.create("alice", "Alice lives in Oslo", null, null);
        UserMemory bobs = UserMemory.create("bob", "Bob flies", null, null);
        storage.saveMemory(tea);
        storage.saveMemory(oslo);
        storage.saveMemory(bobs);
        MemoryEmbedding teaVector = new MemoryEmbedding("alice", tea.memoryId(), "minilm", tea.memory(),
                new float[] {0.1f, -0.2f, Float.MIN_VALUE, Float.MAX_VALUE});
        assertThat(storage.saveMemoryEmbedding(teaVector)).isTrue();
        assertThat(storage.saveMemoryEmbedding(new MemoryEmbedding("alice", oslo.memoryId(), "minilm", oslo.memory(),
                new float[] {1f}))).isTrue();
        assertThat(storage.saveMemoryEmbedding(new MemoryEmbedding("bob", bobs.memoryId(), "minilm", bobs.memory(),
                new float[] {2f}))).isTrue();
        assertThat(storage.saveMemoryEmbedding(new MemoryEmbedding("alice", "no-such-memory", "minilm", "x",
                new float[] {1f}))).isFalse();
        assertThat(storage.saveMemoryEmbedding(new MemoryEmbedding("bob", tea.memoryId(), "minilm", "x",
                new float[] {1f}))).as("alice's memory id under bob").isFalse();
        reopen();
        assertThat(storage.memoryEmbeddings("alice")).hasSize(2).contains(teaVector);
        MemoryEmbedding replaced = new MemoryEmbedding("alice", tea.memoryId(), "other-model", tea.memory(),
                new float[] {3f, 4f});
        storage.saveMemoryEmbedding(replaced);
        assertThat(storage.memoryEmbeddings("alice")).hasSize(2).contains(replaced).doesNotContain(teaVector);

        storage.deleteMemory("alice", tea.memoryId());
        assertThat(storage.memoryEmbeddings("alice")).extracting(MemoryEmbedding::memoryId)
                .containsExactly(oslo.memoryId());
        storage.deleteMemories("alice");
        reopen();
        assertThat(storage.memoryEmbeddings("alice")).isEmpty();
        assertThat(storage.memoryEmbeddings("bob")).hasSize(1);
    }

    // ---- text, ids, lifecycle ----

    @Test
    void hugeAndExoticTextRoundTripsExactly() {
        StringBuilder big = new StringBuilder(2 * 1024 * 1024);
        Random random = new Random(42);
        while (big.length() < 2 * 1024 * 1024) {
            big.append((char) ('a' + random.nextInt(26)));
        }
        String exotic = "emoji 👩‍👩‍👧‍👦🏳️‍🌈 RTL עברית العربية combining e\u0301\u0308 NUL[\u0000] "
                + "unpaired \uD800 and \uDC00 BOM \uFEFF zero-width \u200D CJK 漢字 end";
        List<String> contents = List.of(big.toString(), exotic, "", " ", "\u0000\u0000", "\uDBFF\uDFFF");
        storage.getOrCreateSession(ALICE_1, null);
        for (String c : contents) {
            storage.appendMessage(ALICE_1, "r1", Message.builder(Role.USER).content(c).payload(c).build());
        }
        storage.appendMessage(ALICE_1, "r1", Message.assistant(exotic, List.of(new ToolCall(exotic, exotic, exotic))));
        storage.completeRun(ALICE_1, "r1");
        storage.saveMemory(new UserMemory("m1", "alice", exotic, List.of(exotic), exotic, Instant.EPOCH,
                Instant.EPOCH));
        storage.saveSummary(ALICE_1, new SessionSummary(exotic, List.of(exotic), 0, Instant.EPOCH));
        storage.updateSessionData(ALICE_1, d -> Map.of(exotic, exotic));
        storage.renameSession(ALICE_1, exotic);
        reopen();

        List<Message> messages = storage.lastRuns(ALICE_1, 1).get(0).messages();
        assertSameTexts(messages.subList(0, contents.size()).stream().map(Message::content).toList(), contents);
        assertSameTexts(messages.subList(0, contents.size()).stream().map(Message::payload).toList(), contents);
        assertThat(messages.get(contents.size()).toolCalls().get(0)).isEqualTo(new ToolCall(exotic, exotic, exotic));
        assertThat(storage.memory("alice", "m1").orElseThrow().memory()).isEqualTo(exotic);
        assertThat(storage.summary(ALICE_1).orElseThrow().summary()).isEqualTo(exotic);
        Session session = storage.session(ALICE_1).orElseThrow();
        assertThat(session.data()).containsExactly(Map.entry(exotic, exotic));
        assertThat(session.name()).contains(exotic);
    }

    @Test
    void idsOfSeveralSessionsMayRepeatMessageIds() {
        // Message ids are the caller's; the storage keeps them and does not require them to be unique.
        Message same = Message.builder(Role.USER).id("fixed-id").content("one").build();
        storage.getOrCreateSession(ALICE_1, null);
        storage.getOrCreateSession(BOB_1, null);
        storage.appendMessage(ALICE_1, "r1", same);
        storage.appendMessage(ALICE_1, "r1", same.toBuilder().content("two").build());
        storage.appendMessage(BOB_1, "r1", same);
        assertThat(storage.lastRuns(ALICE_1, 1).get(0).messages()).extracting(Message::id, Message::content)
                .containsExactly(tuple("fixed-id", "one"), tuple("fixed-id", "two"));
        assertThat(storage.lastRuns(BOB_1, 1).get(0).messages()).extracting(Message::id).containsExactly("fixed-id");
    }

    @Test
    void nullAndBlankArgumentsAreRejectedNamingTheParameter() {
        storage.getOrCreateSession(ALICE_1, null);
        UserMemory memory = UserMemory.create("alice", "m", null, null);
        rejects("key", () -> storage.getOrCreateSession(null, null));
        rejects("agentId", () -> storage.getOrCreateSession(ALICE_2, " "));
        rejects("key", () -> storage.session(null));
        rejects("key", () -> storage.sessionVersion(null));
        rejects("update", () -> storage.updateSessionData(ALICE_1, null));
        rejects("updated data", () -> storage.updateSessionData(ALICE_1, d -> null));
        rejects("update", () -> storage.updateSessionState(ALICE_1, null));
        rejects("updated state", () -> storage.updateSessionState(ALICE_1, s -> null));
        rejects("name", () -> storage.renameSession(ALICE_1, ""));
        rejects("filter", () -> storage.sessions(null));
        rejects("key", () -> storage.deleteSession(null));
        rejects("runId", () -> storage.appendMessage(ALICE_1, "", Message.user("x")));
        rejects("message", () -> storage.appendMessage(ALICE_1, "r", null));
        rejects("messages", () -> storage.appendMessages(ALICE_1, "r", null));
        rejects("runId", () -> storage.completeRun(ALICE_1, null));
        rejects("outcome", () -> storage.finishRun(ALICE_1, "r", null));
        rejects("runId", () -> storage.finishRun(ALICE_1, " ", List.of(Message.user("x")), RunOutcome.completed()));
        rejects("lastMessages", () -> storage.finishRun(ALICE_1, "r", null, RunOutcome.completed()));
        rejects("lastMessages", () -> storage.finishRun(ALICE_1, "r", List.of(), RunOutcome.completed()));
        rejects("lastMessages", () -> storage.finishRun(ALICE_1, "r", java.util.Arrays.asList(Message.user("x"),
                null), RunOutcome.completed()));
        rejects("outcome", () -> storage.finishRun(ALICE_1, "r", List.of(Message.user("x")), null));
        rejects("n", () -> storage.lastRuns(ALICE_1, 0));
        rejects("n", () -> storage.lastCompletedRuns(ALICE_1, -1));
        rejects("key", () -> storage.runs(null));
        rejects("from", () -> storage.messagesBetween(ALICE_1, null, new MessagePosition(0, 0)));
        rejects("summary", () -> storage.saveSummary(ALICE_1, null));
        rejects("memory", () -> storage.saveMemory(null));
        rejects("cause", () -> storage.saveMemory(memory, null));
        rejects("userId", () -> storage.memories(" "));
        rejects("memoryId", () -> storage.memory("alice", null));
        rejects("userId", () -> storage.memoriesVersion(""));
        rejects("memoryId", () -> storage.memoryHistory("alice", " "));
        rejects("memoryId", () -> storage.deleteMemory("alice", null));
        rejects("cause", () -> storage.deleteMemory("alice", "m", null));
        rejects("userId", () -> storage.deleteMemories(""));
        rejects("embedding", () -> storage.saveMemoryEmbedding(null));
        rejects("userId", () -> storage.memoryEmbeddings(null));
        assertThat(storage.session(ALICE_2)).isEmpty();
        assertThat(storage.lastRuns(ALICE_1, 5)).isEmpty();
        assertThat(storage.memories("alice")).isEmpty();
    }

    private static void rejects(String parameter, Runnable call) {
        assertThatThrownBy(call::run).as(parameter).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(parameter);
    }

    @Test
    void closeIsIdempotentAndLaterCallsFailClearly() {
        storage.getOrCreateSession(ALICE_1, null);
        storage.close();
        storage.close();
        assertThatThrownBy(() -> storage.session(ALICE_1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> storage.getOrCreateSession(ALICE_1, null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> storage.memories("alice")).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> storage.turns()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        storage = null;
    }

    // ---- turns (their full rules: SessionTurnsContractTest) ----

    @Test
    void turnsAreOfferedAndWritesThroughATurnAreFenced() throws Exception {
        SessionTurns turns = storage.turns();
        assertThat(storage.turns()).isSameAs(turns);
        SessionTurn turn = turns.acquire(ALICE_1, java.time.Duration.ZERO);
        MemoryStorage writes = turn.storage();
        writes.getOrCreateSession(ALICE_1, "agent");
        writes.appendMessage(ALICE_1, "r1", Message.user("q"));
        writes.completeRun(ALICE_1, "r1");
        writes.finishRun(ALICE_1, "r2", List.of(Message.user("q2"), Message.assistant("a2")), RunOutcome.completed());
        turn.close();
        assertThatThrownBy(() -> writes.appendMessage(ALICE_1, "r3", Message.user("late")))
                .isInstanceOf(StaleTurnException.class);
        assertThatThrownBy(() -> writes.finishRun(ALICE_1, "r3", List.of(Message.assistant("late")),
                RunOutcome.completed())).isInstanceOf(StaleTurnException.class);
        storage.appendMessage(ALICE_1, "r3", Message.user("not fenced")); // the storage itself: no turn needed
        assertThat(storage.lastRuns(ALICE_1, 5)).extracting(Run::runId, Run::status, r -> r.messages().size())
                .containsExactly(tuple("r1", RunStatus.COMPLETED, 1), tuple("r2", RunStatus.COMPLETED, 2),
                        tuple("r3", RunStatus.RUNNING, 1));
        turns.acquire(ALICE_1, java.time.Duration.ZERO).close();
    }

    // ---- concurrency ----

    private static final int OWN_WRITERS = 6;
    private static final int SHARED_WRITERS = 4;
    private static final int READERS = 2;
    private static final int RUNS_PER_WRITER = 25;

    /**
     * Writers on many sessions, some sessions shared by two writers, with readers at the same time: nothing lost,
     * duplicated or reordered; a batch is never interleaved with another; no read fails or sees a partial batch.
     */
    @Test
    void concurrentWritersAndReadersKeepEverySessionIntactAndInOrder() throws Exception {
        int writers = OWN_WRITERS + SHARED_WRITERS;
        Map<Integer, SessionKey> sessionOf = new HashMap<>();
        for (int w = 0; w < writers; w++) {
            sessionOf.put(w, w < OWN_WRITERS ? SessionKey.of("user-" + w, "own")
                    : SessionKey.of("shared-user", "shared-" + (w % 2)));
        }
        for (SessionKey key : new HashSet<>(sessionOf.values())) {
            storage.getOrCreateSession(key, null);
        }
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(writers + READERS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                SessionKey key = sessionOf.get(w);
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int r = 0; r < RUNS_PER_WRITER; r++) {
                        String runId = "w" + writer + "-r" + r;
                        if (writer >= OWN_WRITERS) {
                            // Two writers on one session: each run is one call, so no finish can race a new run.
                            storage.finishRun(key, runId, List.of(Message.user(text(writer, r, 0)),
                                    Message.assistant(text(writer, r, 1))), RunOutcome.completed());
                        } else if (writer % 2 == 0) {
                            for (int m = 0; m < 3; m++) {
                                storage.appendMessage(key, runId, m % 2 == 0 ? Message.user(text(writer, r, m))
                                        : Message.assistant(text(writer, r, m)));
                            }
                            storage.completeRun(key, runId);
                        } else {
                            storage.appendMessage(key, runId, Message.user(text(writer, r, 0)));
                            storage.appendMessage(key, runId, Message.assistant(text(writer, r, 1)));
                            storage.finishRun(key, runId, List.of(Message.user(text(writer, r, 2))),
                                    RunOutcome.completed());
                        }
                    }
                    return null;
                }));
            }
            for (int i = 0; i < READERS; i++) {
                pool.submit(() -> {
                    start.await();
                    int k = 0;
                    while (writing.get()) {
                        try {
                            SessionKey key = sessionOf.get(k++ % writers);
                            for (Run run : storage.lastRuns(key, 3)) {
                                int size = run.messages().size();
                                if (key.userId().equals("shared-user")) {
                                    assertThat(size).as("a batch is seen whole").isEqualTo(2);
                                    assertThat(run.completed()).as("with the finish of the same call").isTrue();
                                }
                            }
                            storage.runs(key).forEach(run -> assertThat(run.messages()).isNotEmpty());
                            storage.sessions(SessionFilter.any());
                            storage.sessionVersion(key);
                        } catch (Throwable t) {
                            errors.add(t);
                        }
                    }
                    return null;
                });
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(5, TimeUnit.MINUTES);
            }
            writing.set(false);
            pool.shutdown();
            assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        } finally {
            pool.shutdownNow();
        }
        assertThat(errors).as("errors in readers").isEmpty();
        verifyConcurrentWrites(sessionOf);
        reopen();
        verifyConcurrentWrites(sessionOf);
    }

    private void verifyConcurrentWrites(Map<Integer, SessionKey> sessionOf) {
        for (int w = 0; w < OWN_WRITERS; w++) {
            List<Run> runs = storage.runs(sessionOf.get(w)).toList();
            assertThat(runs).hasSize(RUNS_PER_WRITER);
            for (int r = 0; r < RUNS_PER_WRITER; r++) {
                Run run = runs.get(r);
                assertThat(run.runId()).isEqualTo("w" + w + "-r" + r);
                assertThat(run.completed()).isTrue();
                assertThat(run.messages()).extracting(Message::content)
                        .containsExactly(text(w, r, 0), text(w, r, 1), text(w, r, 2));
            }
        }
        for (int s = 0; s < 2; s++) {
            List<Run> runs = storage.runs(SessionKey.of("shared-user", "shared-" + s)).toList();
            assertThat(runs).hasSize(2 * RUNS_PER_WRITER);
            Set<String> seen = new HashSet<>();
            Map<Integer, Integer> nextRunOf = new HashMap<>();
            for (Run run : runs) {
                assertThat(seen.add(run.runId())).as("run %s once", run.runId()).isTrue();
                int writer = Integer.parseInt(run.runId().substring(1, run.runId().indexOf('-')));
                int r = Integer.parseInt(run.runId().substring(run.runId().indexOf("-r") + 2));
                assertThat(r).as("runs of writer %d in their order", writer)
                        .isEqualTo(nextRunOf.getOrDefault(writer, 0));
                nextRunOf.put(writer, r + 1);
                assertThat(run.completed()).isTrue();
                assertThat(run.messages()).extracting(Message::content)
                        .containsExactly(text(writer, r, 0), text(writer, r, 1));
            }
        }
    }

    private static String text(int writer, int run, int message) {
        return "writer " + writer + " run " + run + " message " + message + " " + "x".repeat(40);
    }
}
