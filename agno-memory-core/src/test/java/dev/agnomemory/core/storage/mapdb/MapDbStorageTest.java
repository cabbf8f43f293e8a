package dev.agnomemory.core.storage.mapdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.SessionFilter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every storage operation, on a real file, including reopening. */
class MapDbStorageTest {

    @TempDir
    Path dir;

    private Path file;
    private MapDbStorage storage;
    private final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

    /** A clock that advances one millisecond per reading, so "newest first" is deterministic. */
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.incrementAndGet());
        }
    };

    private static final SessionKey ALICE_1 = SessionKey.of("alice", "s1");
    private static final SessionKey ALICE_2 = SessionKey.of("alice", "s2");
    private static final SessionKey BOB_1 = SessionKey.of("bob", "s1");

    @BeforeEach
    void open() {
        file = dir.resolve("memory.db");
        storage = openStorage();
    }

    @AfterEach
    void close() {
        storage.close();
    }

    private MapDbStorage openStorage() {
        return MapDbStorage.builder().file(file).clock(clock).checkpointEvery(7).build();
    }

    private void reopen() {
        storage.close();
        storage = openStorage();
    }

    private void addRun(SessionKey key, String runId, String question, String answer) {
        storage.appendMessage(key, runId, Message.user(question));
        storage.appendMessage(key, runId, Message.assistant(answer));
        storage.completeRun(key, runId);
    }

    @Test
    void createsSessionOnceAndReadsItBack() {
        Session created = storage.getOrCreateSession(ALICE_1, "agent-x");
        Session again = storage.getOrCreateSession(ALICE_1, "other-agent");

        assertThat(again).isEqualTo(created);
        assertThat(created.agentId()).contains("agent-x");
        assertThat(created.runCount()).isZero();
        assertThat(created.summary()).isEmpty();
        assertThat(created.data()).isEmpty();
        reopen();
        assertThat(storage.session(ALICE_1)).contains(created);
    }

    @Test
    void unknownSessionReadsAsEmpty() {
        SessionKey unknown = SessionKey.of("nobody", "nothing");
        assertThat(storage.session(unknown)).isEmpty();
        assertThat(storage.lastRuns(unknown, 3)).isEmpty();
        assertThat(storage.lastCompletedRuns(unknown, 3)).isEmpty();
        assertThat(storage.runs(unknown)).isEmpty();
        assertThat(storage.summary(unknown)).isEmpty();
        assertThat(storage.updateSessionData(unknown, d -> Map.of("a", "b"))).isEmpty();
        assertThat(storage.messagesBetween(unknown, new MessagePosition(0, 0), new MessagePosition(5, 0))).isEmpty();
        assertThat(storage.saveSummary(unknown, summary("x", 0))).isFalse();
        assertThat(storage.deleteSession(unknown)).isFalse();
        assertThat(storage.memories("nobody")).isEmpty();
    }

    @Test
    void writingToAnUnknownSessionIsAClearError() {
        assertThatThrownBy(() -> storage.appendMessage(ALICE_1, "r1", Message.user("hi")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("s1").hasMessageContaining("alice");
        assertThatThrownBy(() -> storage.completeRun(ALICE_1, "r1")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void updatesSessionDataAtomically() {
        storage.getOrCreateSession(ALICE_1, null);
        Optional<Session> updated = storage.updateSessionData(ALICE_1, d -> Map.of("name", "Trip planning"));
        assertThat(updated).isPresent();
        storage.updateSessionData(ALICE_1, d -> {
            Map<String, String> next = new java.util.HashMap<>(d);
            next.put("state", "{\"step\":2}");
            return next;
        });
        reopen();
        assertThat(storage.session(ALICE_1).orElseThrow().data())
                .containsExactlyInAnyOrderEntriesOf(Map.of("name", "Trip planning", "state", "{\"step\":2}"));
        Instant before = storage.session(ALICE_1).orElseThrow().updatedAt();
        storage.updateSessionData(ALICE_1, d -> d); // no change, no write
        assertThat(storage.session(ALICE_1).orElseThrow().updatedAt()).isEqualTo(before);
        storage.updateSessionData(ALICE_1, d -> Map.of());
        assertThat(storage.session(ALICE_1).orElseThrow().data()).isEmpty();
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
        assertThat(MessagePosition.parse(second.get(1).toString())).isEqualTo(second.get(1));
        assertThatThrownBy(() -> storage.messagesBetween(ALICE_1, second.get(0), first))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> storage.appendMessages(ALICE_1, "r2", List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("messages");
    }

    @Test
    void openingWithoutCreatingFailsClearlyAndLeavesNoFiles() throws Exception {
        Path missing = dir.resolve("nothing-here.db");
        assertThatThrownBy(() -> MapDbStorage.builder().file(missing).createIfMissing(false).build())
                .isInstanceOf(dev.agnomemory.core.storage.StorageException.class)
                .hasMessageContaining("no store at").hasMessageContaining(missing.toString());
        try (var files = java.nio.file.Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("nothing-here"));
        }
        storage.getOrCreateSession(ALICE_1, null);
        storage.close();
        try (MapDbStorage existing = MapDbStorage.builder().file(file).createIfMissing(false).build()) {
            assertThat(existing.session(ALICE_1)).isPresent();
        }
        storage = openStorage();
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
            assertThat(r.finishedAt()).isPresent();
            assertThat(r.session()).isEqualTo(ALICE_1);
        });
        assertThat(storage.lastRuns(ALICE_1, 100)).hasSize(10);
        assertThat(storage.session(ALICE_1).orElseThrow().runCount()).isEqualTo(10);
    }

    @Test
    void iteratesAllRunsOldestFirstAcrossPages() {
        storage.getOrCreateSession(ALICE_1, null);
        for (int i = 0; i < 150; i++) {
            storage.appendMessage(ALICE_1, "r" + i, Message.user("m" + i));
            storage.completeRun(ALICE_1, "r" + i);
        }
        List<String> ids = storage.runs(ALICE_1).map(Run::runId).collect(Collectors.toList());
        assertThat(ids).hasSize(150).startsWith("r0", "r1").endsWith("r148", "r149");
        assertThat(storage.runs(ALICE_1).limit(2).map(Run::runId)).containsExactly("r0", "r1");
    }

    @Test
    void keepsToolCallsAndToolResultsInARun() {
        storage.getOrCreateSession(ALICE_1, null);
        Message call = Message.assistant("", List.of(new ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}")));
        Message result = Message.toolResult("call_1", "get_weather", "{\"temp\":21}", false);
        Message failed = Message.toolResult("call_2", "broken_tool", "boom", true);
        storage.appendMessage(ALICE_1, "r1", Message.user("weather?"));
        storage.appendMessage(ALICE_1, "r1", call);
        storage.appendMessage(ALICE_1, "r1", result);
        storage.appendMessage(ALICE_1, "r1", failed);
        storage.appendMessage(ALICE_1, "r1", Message.assistant("21 degrees"));
        storage.completeRun(ALICE_1, "r1");
        reopen();
        Run run = storage.lastRuns(ALICE_1, 1).get(0);
        assertThat(run.messages()).hasSize(5);
        assertThat(run.messages().get(1)).isEqualTo(call);
        assertThat(run.messages().get(2)).isEqualTo(result);
        assertThat(run.messages().get(3)).isEqualTo(failed);
        assertThat(run.messages().get(3).error()).isTrue();
    }

    @Test
    void aRunThatWasNeverCompletedIsKeptAndRecognisable() {
        storage.getOrCreateSession(ALICE_1, null);
        addRun(ALICE_1, "r1", "q1", "a1");
        storage.appendMessage(ALICE_1, "r2", Message.user("cut off"));
        addRun(ALICE_1, "r3", "q3", "a3");
        reopen();

        assertThat(storage.lastRuns(ALICE_1, 3)).extracting(Run::runId, Run::completed)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("r1", true),
                        org.assertj.core.groups.Tuple.tuple("r2", false),
                        org.assertj.core.groups.Tuple.tuple("r3", true));
        assertThat(storage.lastCompletedRuns(ALICE_1, 2)).extracting(Run::runId).containsExactly("r1", "r3");
        assertThat(storage.lastCompletedRuns(ALICE_1, 5)).extracting(Run::runId).containsExactly("r1", "r3");
    }

    @Test
    void runRulesAreEnforced() {
        storage.getOrCreateSession(ALICE_1, null);
        addRun(ALICE_1, "r1", "q1", "a1");
        assertThatThrownBy(() -> storage.appendMessage(ALICE_1, "r1", Message.user("late")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already completed");
        addRun(ALICE_1, "r2", "q2", "a2");
        assertThatThrownBy(() -> storage.appendMessage(ALICE_1, "r1", Message.user("old")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("earlier run");
        assertThatThrownBy(() -> storage.completeRun(ALICE_1, "r1"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not the current run");
        storage.completeRun(ALICE_1, "r2"); // completing twice does nothing
        assertThat(storage.lastRuns(ALICE_1, 5)).hasSize(2);
    }

    @Test
    void listsSessionsByUserAndAgentNewestFirst() {
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
    void deletesASessionWithAllItsRuns() {
        storage.getOrCreateSession(ALICE_1, null);
        storage.getOrCreateSession(ALICE_2, null);
        addRun(ALICE_1, "r1", "q", "a");
        addRun(ALICE_2, "r1", "keep", "me");
        assertThat(storage.deleteSession(ALICE_1)).isTrue();
        assertThat(storage.deleteSession(ALICE_1)).isFalse();
        reopen();
        assertThat(storage.session(ALICE_1)).isEmpty();
        assertThat(storage.lastRuns(ALICE_1, 3)).isEmpty();
        assertThat(storage.lastRuns(ALICE_2, 3)).hasSize(1);

        // the same key can start over, with nothing of the old session
        storage.getOrCreateSession(ALICE_1, null);
        addRun(ALICE_1, "r1", "fresh", "start");
        assertThat(storage.lastRuns(ALICE_1, 5)).hasSize(1).first().extracting(Run::sequence).isEqualTo(0L);
    }

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

    @Test
    void addsUpdatesListsAndDeletesMemoriesOfOneUserOnly() {
        UserMemory likesTea = UserMemory.create("alice", "Alice likes green tea", List.of("preferences"), "I love tea");
        UserMemory livesInOslo = UserMemory.create("alice", "Alice lives in Oslo", List.of("location"), null);
        UserMemory bobs = UserMemory.create("bob", "Bob is a pilot", List.of("work"), null);
        storage.saveMemory(likesTea);
        storage.saveMemory(livesInOslo);
        storage.saveMemory(bobs);

        UserMemory updated = likesTea.withMemory("Alice prefers black tea", List.of("preferences", "drinks"));
        storage.saveMemory(updated);
        reopen();

        assertThat(storage.memories("alice")).containsExactlyInAnyOrder(updated, livesInOslo);
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
    void embeddingsAreStoredWithMemoriesAndDeletedWithThem() {
        UserMemory tea = UserMemory.create("alice", "Alice likes tea", null, null);
        UserMemory oslo = UserMemory.create("alice", "Alice lives in Oslo", null, null);
        UserMemory bobs = UserMemory.create("bob", "Bob flies", null, null);
        storage.saveMemory(tea);
        storage.saveMemory(oslo);
        storage.saveMemory(bobs);
        MemoryEmbedding teaVector = new MemoryEmbedding("alice", tea.memoryId(), "minilm", tea.memory(),
                new float[] {0.1f, -0.2f, Float.MIN_VALUE});
        assertThat(storage.saveMemoryEmbedding(teaVector)).isTrue();
        assertThat(storage.saveMemoryEmbedding(new MemoryEmbedding("alice", oslo.memoryId(), "minilm", oslo.memory(),
                new float[] {1f}))).isTrue();
        assertThat(storage.saveMemoryEmbedding(new MemoryEmbedding("bob", bobs.memoryId(), "minilm", bobs.memory(),
                new float[] {2f}))).isTrue();
        assertThat(storage.saveMemoryEmbedding(new MemoryEmbedding("alice", "no-such-memory", "minilm", "x",
                new float[] {1f}))).isFalse();
        reopen();
        assertThat(storage.memoryEmbeddings("alice")).hasSize(2).contains(teaVector);
        assertThat(teaVector.isFor(tea, "minilm")).isTrue();
        assertThat(teaVector.isFor(tea.withMemory("Alice likes coffee", null), "minilm")).isFalse();
        assertThat(teaVector.isFor(tea, "other-model")).isFalse();

        storage.deleteMemory("alice", tea.memoryId());
        assertThat(storage.memoryEmbeddings("alice")).extracting(MemoryEmbedding::memoryId)
                .containsExactly(oslo.memoryId());
        storage.deleteMemories("alice");
        storage.compact();
        reopen();
        assertThat(storage.memoryEmbeddings("alice")).isEmpty();
        assertThat(storage.memoryEmbeddings("bob")).hasSize(1);
    }

    @Test
    void memoriesAreListedOldestFirst() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        UserMemory newer = new UserMemory("m-a", "alice", "newer", List.of(), null, t0.plusSeconds(60),
                t0.plusSeconds(60));
        UserMemory older = new UserMemory("m-b", "alice", "older", List.of(), null, t0, t0);
        storage.saveMemory(newer);
        storage.saveMemory(older);
        assertThat(storage.memories("alice")).containsExactly(older, newer);
    }

    @Test
    void closeIsIdempotentAndLaterCallsFailClearly() {
        storage.close();
        storage.close();
        assertThatThrownBy(() -> storage.session(ALICE_1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> storage.getOrCreateSession(ALICE_1, null)).isInstanceOf(IllegalStateException.class);
        storage = openStorage();
    }

    @Test
    void inMemoryModeSupportsTheSameOperations() {
        try (MapDbStorage memory = MapDbStorage.inMemory()) {
            memory.getOrCreateSession(ALICE_1, "a");
            memory.appendMessage(ALICE_1, "r1", Message.user("hi"));
            memory.completeRun(ALICE_1, "r1");
            memory.saveMemory(UserMemory.create("alice", "Alice says hi", null, null));
            assertThat(memory.lastRuns(ALICE_1, 3)).hasSize(1);
            assertThat(memory.memories("alice")).hasSize(1);
            assertThat(memory.file()).isEmpty();
            assertThat(memory.deleteSession(ALICE_1)).isTrue();
            memory.compact();
            assertThat(memory.session(ALICE_1)).isEmpty();
        }
    }

    @Test
    void builderRejectsBadSettings() {
        assertThatThrownBy(() -> MapDbStorage.builder().checkpointEvery(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("checkpointEvery");
        assertThatThrownBy(() -> MapDbStorage.builder().purgeDelay(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("purgeDelay");
        assertThatThrownBy(() -> MapDbStorage.builder().clock(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clock");
    }

    private static SessionSummary summary(String text, long lastRun) {
        return new SessionSummary(text, List.of("topic"), lastRun, Instant.parse("2026-01-01T00:00:00Z"));
    }
}
