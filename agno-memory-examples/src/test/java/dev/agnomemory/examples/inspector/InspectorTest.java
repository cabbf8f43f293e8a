package dev.agnomemory.examples.inspector;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.core.testing.TickingClock;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectorTest {

    private static final SessionKey ALICE_TRIP = SessionKey.of("alice", "trip-1");
    private static final SessionKey ALICE_NOTES = SessionKey.of("alice", "notes");
    private static final SessionKey BOB_TRIP = SessionKey.of("bob", "trip-1");

    /** Longer than the display limit, with a second line. */
    private static final String LONG_QUESTION = "Plan my week in Paris: " + "museums, cafes, walks; ".repeat(12)
            + "\nand keep it cheap.";
    /** NUL and an unpaired surrogate, which an export must keep exactly. */
    private static final String ODD_TEXT = "Hello Bob\u0000 \ud800 \ud83d\ude00 é";
    private static final String SESSIONS_USAGE =
            "sessions [--agent AGENT] [--limit N] [--offset N] [--user USER] [--json]";
    private static final String USER_PAYLOAD = "{\"contents\":[{\"text\":\"What's the weather in Paris?\"}]}";

    private static final UserMemory TEA = new UserMemory("m-tea", "alice", "Alice likes tea", List.of("drinks"),
            "I love tea", Instant.parse("2025-05-01T00:00:00Z"), Instant.parse("2025-05-01T00:00:00Z"));
    private static final UserMemory PARIS = new UserMemory("m-paris", "alice", "Alice plans a trip to Paris",
            List.of("travel"), null, Instant.parse("2025-05-02T00:00:00Z"), Instant.parse("2025-05-02T00:00:00Z"),
            Optional.of("travel-agent"));

    @TempDir
    Path dir;

    private Path store;
    private List<Session> storedSessions;

    /** Whole seconds, one step per reading from 2025-06-01T10:00:00Z, so times are distinct and print exactly. */
    static TickingClock steppingClock() {
        return new TickingClock(Instant.parse("2025-06-01T09:59:59Z"), Duration.ofSeconds(1));
    }

    @BeforeEach
    void createStore() {
        store = dir.resolve("agent.db");
        try (MapDbStorage storage = MapDbStorage.builder().file(store).clock(steppingClock()).build()) {
            storedSessions = fill(storage);
        }
    }

    /**
     * Stores the sessions and memories every test inspects (also on PostgreSQL, {@link InspectorOnPostgresTest}).
     *
     * @return the stored sessions
     */
    static List<Session> fill(MemoryStorage storage) {
        storage.getOrCreateSession(ALICE_NOTES, null);
        storage.appendMessage(ALICE_NOTES, "n1", Message.user("Remember to buy milk"));
        storage.appendMessage(ALICE_NOTES, "n1", Message.assistant("Noted."));
        storage.finishRun(ALICE_NOTES, "n1", RunOutcome.completed(new RunMetrics(Optional.of("gpt-4o-mini"),
                120, 30, 150, 1, 0, Optional.of("STOP"))));

        storage.getOrCreateSession(BOB_TRIP, "travel-agent");
        storage.appendMessage(BOB_TRIP, "b1", Message.user("Hi"));
        storage.appendMessage(BOB_TRIP, "b1", Message.assistant(ODD_TEXT));
        storage.completeRun(BOB_TRIP, "b1");

        storage.getOrCreateSession(ALICE_TRIP, "travel-agent");
        storage.appendMessages(ALICE_TRIP, "r1", List.of(
                Message.builder(Role.USER).id("m-user").content("What's the weather in Paris?")
                        .payload(USER_PAYLOAD).build(),
                Message.builder(Role.ASSISTANT).id("m-calls").toolCalls(List.of(
                        new ToolCall("call_1", "get_weather", "{\"city\":\"Paris\"}"),
                        new ToolCall("call_2", "get_time", "{\"zone\":\"Europe/Paris\"}"))).build(),
                Message.toolResult("call_1", "get_weather", "Sunny, 21°C", false),
                Message.toolResult("call_2", "get_time", "timeout after 5 s", true),
                Message.assistant("It is sunny and 21°C in Paris.")));
        storage.finishRun(ALICE_TRIP, "r1", RunOutcome.completed(new RunMetrics(Optional.of("gpt-4o-mini"),
                900, 80, 980, 2, 2, Optional.of("STOP"))));
        storage.appendMessage(ALICE_TRIP, "r2", Message.user(LONG_QUESTION));
        storage.updateSessionData(ALICE_TRIP, data -> java.util.Map.of("name", "Paris trip"));
        storage.renameSession(ALICE_TRIP, "Paris in June");
        storage.updateSessionState(ALICE_TRIP, state -> "{\"city\":\"Paris\",\"days\":3}");
        storage.saveMemory(TEA, MemoryChangeCause.memoryModel("trip-1", "r1"));
        storage.saveMemory(TEA.withMemory("Alice drinks coffee now", List.of("drinks")),
                MemoryChangeCause.agenticTool("notes", "n1"));
        storage.saveMemory(PARIS);
        storage.saveMemory(UserMemory.create("bob", "Bob flies gliders", null, null));
        storage.saveSummary(ALICE_TRIP, new SessionSummary("Alice plans a trip to Paris.",
                List.of("travel", "weather"), 0, Instant.parse("2025-06-01T12:00:00Z")));
        return storage.sessions(SessionFilter.any());
    }

    // ---- sessions ----

    @Test
    void sessionsListsAllNewestFirst() {
        Result r = run(store.toString(), "sessions");

        assertThat(r.code()).isZero();
        assertThat(r.err()).isEmpty();
        List<String> lines = r.lines();
        assertThat(words(lines.get(0))).containsExactly("USER", "SESSION", "NAME", "AGENT", "CREATED", "UPDATED",
                "RUNS", "TOKENS", "SUMMARY");
        assertThat(words(lines.get(1))).containsExactly("alice", "trip-1", "Paris", "in", "June", "travel-agent",
                created(ALICE_TRIP), updated(ALICE_TRIP), "2", "980", "yes");
        assertThat(words(lines.get(2))).containsExactly("bob", "trip-1", "-", "travel-agent", created(BOB_TRIP),
                updated(BOB_TRIP), "1", "0", "no");
        assertThat(words(lines.get(3))).containsExactly("alice", "notes", "-", "-", created(ALICE_NOTES),
                updated(ALICE_NOTES), "1", "150", "no");
        assertThat(lines.get(4)).isEqualTo("3 sessions");
        assertThat(lines).hasSize(5);
        // columns are aligned: every row has its SESSION cell where the header has it
        int sessionColumn = lines.get(0).indexOf("SESSION");
        assertThat(lines.subList(1, 4)).allSatisfy(l -> assertThat(l.substring(sessionColumn)).doesNotStartWith(" "));
    }

    @Test
    void sessionsFiltersByUserAndAgent() {
        Result alice = run(store.toString(), "sessions", "--user", "alice");
        assertThat(alice.code()).isZero();
        assertThat(alice.lines()).hasSize(4);
        assertThat(words(alice.lines().get(1))).startsWith("alice", "trip-1");
        assertThat(words(alice.lines().get(2))).startsWith("alice", "notes");

        Result travel = run(store.toString(), "sessions", "--agent=travel-agent");
        assertThat(travel.lines()).hasSize(4);
        assertThat(words(travel.lines().get(1))).startsWith("alice", "trip-1");
        assertThat(words(travel.lines().get(2))).startsWith("bob", "trip-1");

        Result both = run(store.toString(), "sessions", "--user", "bob", "--agent", "travel-agent");
        assertThat(both.lines()).hasSize(3);
        assertThat(both.lines().get(2)).isEqualTo("1 session");

        Result none = run(store.toString(), "sessions", "--user", "carol");
        assertThat(none.code()).isZero();
        assertThat(none.out()).isEqualTo("no sessions of user carol\n");
    }

    @Test
    void sessionsPageAndSayHowToSeeTheRest() {
        Result first = run(store.toString(), "sessions", "--limit", "2");
        assertThat(first.code()).isZero();
        assertThat(first.lines()).hasSize(4);
        assertThat(words(first.lines().get(1))).startsWith("alice", "trip-1");
        assertThat(words(first.lines().get(2))).startsWith("bob", "trip-1");
        assertThat(first.lines().get(3)).isEqualTo("2 sessions; more follow: run again with --offset 2");

        Result rest = run(store.toString(), "sessions", "--limit", "2", "--offset", "2");
        assertThat(rest.lines()).hasSize(3);
        assertThat(words(rest.lines().get(1))).startsWith("alice", "notes");
        assertThat(rest.lines().get(2)).isEqualTo("1 session (from number 3)");

        Result beyond = run(store.toString(), "sessions", "--offset", "9");
        assertThat(beyond.out()).isEqualTo("no sessions from number 10\n");
    }

    @Test
    void sessionsAsJsonCarryEveryHeaderField() throws IOException {
        Result r = run(store.toString(), "sessions", "--user", "alice", "--json");
        assertThat(r.code()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("more").asBoolean()).isFalse();
        JsonNode trip = json.get("sessions").get(0);
        assertThat(trip.get("session_id").asText()).isEqualTo("trip-1");
        assertThat(trip.get("session_name").asText()).isEqualTo("Paris in June");
        assertThat(trip.get("session_state").get("days").asInt()).isEqualTo(3);
        assertThat(trip.get("metrics").get("total_tokens").asLong()).isEqualTo(980);
        assertThat(trip.get("version").asLong()).isEqualTo(session(ALICE_TRIP).version());
        assertThat(trip.has("runs")).isFalse();
        assertThat(json.get("sessions")).hasSize(2);
    }

    // ---- memories ----

    @Test
    void memoriesListsOneUsersMemoriesOldestFirst() {
        Result r = run(store.toString(), "memories", "alice");
        assertThat(r.code()).isZero();
        assertThat(r.err()).isEmpty();
        List<String> lines = r.lines();
        assertThat(words(lines.get(0))).containsExactly("ID", "AGENT", "CREATED", "UPDATED", "TOPICS", "MEMORY");
        assertThat(lines.get(1)).startsWith("m-tea").contains("drinks", "Alice drinks coffee now");
        assertThat(lines.get(2)).startsWith("m-paris").contains("travel-agent", "Alice plans a trip to Paris");
        assertThat(lines.get(3)).isEqualTo("2 memories");
        assertThat(lines).hasSize(4);

        assertThat(run(store.toString(), "memories", "carol").out()).isEqualTo("no memories of user carol\n");
        Result page = run(store.toString(), "memories", "alice", "--limit", "1");
        assertThat(page.lines()).last().isEqualTo("1 memory; more follow: run again with --offset 1");
    }

    @Test
    void memoryHistoryShowsEveryChangeWithItsCause() throws IOException {
        Result r = run(store.toString(), "memory-history", "alice", "m-tea");
        assertThat(r.code()).isZero();
        List<String> lines = r.lines();
        assertThat(words(lines.get(0))).containsExactly("AT", "EVENT", "CAUSE", "BEFORE", "AFTER");
        assertThat(lines.get(1)).contains("ADD", "memory model (session trip-1, run r1)", "Alice likes tea");
        assertThat(lines.get(2)).contains("UPDATE", "agentic tool (session notes, run n1)", "Alice likes tea",
                "Alice drinks coffee now");
        assertThat(lines.get(3)).isEqualTo("2 changes");

        JsonNode json = new ObjectMapper().readTree(run(store.toString(), "memory-history", "alice", "m-tea",
                "--json").out());
        JsonNode update = json.get("history").get(1);
        assertThat(update.get("event").asText()).isEqualTo("UPDATE");
        assertThat(update.get("previous_memory").asText()).isEqualTo("Alice likes tea");
        assertThat(update.get("new_memory").asText()).isEqualTo("Alice drinks coffee now");
        assertThat(update.get("cause").get("source").asText()).isEqualTo("agentic_tool");
        assertThat(update.get("cause").get("run_id").asText()).isEqualTo("n1");

        Result bobs = run(store.toString(), "memory-history", "bob", "m-tea");
        assertThat(bobs.code()).isEqualTo(2);
        assertThat(bobs.err()).isEqualTo("inspector: no memory m-tea of user bob (it never existed, or the user's "
                + "memories were deleted)\n");
    }

    @Test
    void deleteMemoriesNeedsYesAndDeletesOnlyThatUsersMemoriesAndHistory() {
        Result refused = run(store.toString(), "delete-memories", "alice");
        assertThat(refused.code()).isEqualTo(2);
        assertThat(refused.err()).isEqualTo("inspector: nothing deleted: user alice has 2 memories; deleting cannot "
                + "be undone, so run again with --yes to delete them\n");

        Result r = run(store.toString(), "delete-memories", "alice", "--yes");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("deleted 2 memories of user alice, with their history\n");
        try (MapDbStorage storage = open()) {
            assertThat(storage.memories("alice")).isEmpty();
            assertThat(storage.memoryHistory("alice", "m-tea")).isEmpty();
            assertThat(storage.memories("bob")).hasSize(1);
        }
    }

    // ---- state and name ----

    @Test
    void statePrintsTheSessionStateAsJson() throws IOException {
        Result r = run(store.toString(), "state", "alice", "trip-1");
        assertThat(r.code()).isZero();
        JsonNode state = new ObjectMapper().readTree(r.out());
        assertThat(state.get("city").asText()).isEqualTo("Paris");
        assertThat(state.get("days").asInt()).isEqualTo(3);
        assertThat(new ObjectMapper().readTree(run(store.toString(), "state", "bob", "trip-1").out())).isEmpty();
    }

    @Test
    void renameSetsTheSessionName() {
        Result r = run(store.toString(), "rename", "bob", "trip-1", "Bob's trip");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("renamed session trip-1 of user bob to Bob's trip\n");
        assertThat(session(BOB_TRIP).name()).contains("Bob's trip");
        assertThat(run(store.toString(), "rename", "carol", "x", "y").err())
                .isEqualTo("inspector: no session x of user carol\n");
    }

    // ---- text that could break a table ----

    @Test
    void wideAndControlCharactersNeverBreakTheTable() {
        String wide = "東京の旅行 👩‍👩‍👧 계획";
        String hostile = "evil\u202Eoverride\u0007bell\u001b[31mred\ud800 end";
        try (MapDbStorage storage = open()) {
            storage.saveMemory(new UserMemory("m-wide", "carol", wide, List.of("日本"), null,
                    Instant.parse("2025-05-01T00:00:00Z"), Instant.parse("2025-05-01T00:00:00Z")));
            storage.saveMemory(new UserMemory("m-hostile", "carol", hostile, List.of(), null,
                    Instant.parse("2025-05-02T00:00:00Z"), Instant.parse("2025-05-02T00:00:00Z")));
            storage.saveMemory(new UserMemory("m-long", "carol", "x".repeat(500), List.of(), null,
                    Instant.parse("2025-05-03T00:00:00Z"), Instant.parse("2025-05-03T00:00:00Z")));
        }
        Result r = run(store.toString(), "memories", "carol");
        assertThat(r.code()).isZero();
        List<String> lines = r.lines();
        int column = Display.columns(lines.get(0).substring(0, lines.get(0).indexOf("MEMORY")));
        for (String line : lines.subList(1, 4)) {
            assertThat(line).doesNotContain("\u202E", "\u0007", "\u001b", "\n");
            assertThat(new String(line.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8))
                    .as("no unpaired surrogate, which UTF-8 cannot carry").isEqualTo(line);
            int at = line.indexOf(line.contains("東京") ? "東京" : line.contains("evil") ? "evil" : "xxx");
            assertThat(Display.columns(line.substring(0, at))).as("MEMORY column of %s", line).isEqualTo(column);
        }
        assertThat(lines.get(2)).contains("evil\\u202eoverride\\u0007bell\\u001b[31mred\\ud800 end");
        assertThat(lines.get(3)).endsWith(Display.ELLIPSIS);
        assertThat(Display.columns(lines.get(3).substring(lines.get(3).indexOf("xxx"))))
                .isEqualTo(TextTable.CELL_LIMIT);
        assertThat(run(store.toString(), "memories", "carol", "--full").out()).contains("x".repeat(500));
    }

    // ---- show ----

    @Test
    void showPrintsHeaderAndEveryRunWithItsMessagesInOrder() {
        Result r = run(store.toString(), "show", "alice", "trip-1");

        assertThat(r.code()).isZero();
        assertThat(r.err()).isEmpty();
        List<String> lines = r.lines();
        assertThat(lines).containsSubsequence(
                "session    trip-1",
                "name       Paris in June",
                "user       alice",
                "agent      travel-agent",
                "created    " + created(ALICE_TRIP),
                "updated    " + updated(ALICE_TRIP),
                "runs       2",
                "tokens     980 (input 900, output 80); 2 model calls, 2 tool calls; model gpt-4o-mini",
                "state      {\"city\":\"Paris\",\"days\":3}",
                "summary    Alice plans a trip to Paris.",
                "           (topics: travel, weather; covers runs up to 0; written 2025-06-01T12:00:00Z)",
                "data       name = Paris trip");
        List<Run> runs = runs(ALICE_TRIP);
        assertThat(lines).containsSubsequence(
                "run 0  r1  started " + runs.get(0).startedAt() + "  completed " + runs.get(0).finishedAt().get(),
                "  #0 user: What's the weather in Paris?",
                "  #1 assistant: (no text)",
                "      calls get_weather [call_1] {\"city\":\"Paris\"}",
                "      calls get_time [call_2] {\"zone\":\"Europe/Paris\"}",
                "  #2 tool result of get_weather [call_1]: Sunny, 21°C",
                "  #3 tool result of get_time [call_2] ERROR: timeout after 5 s",
                "  #4 assistant: It is sunny and 21°C in Paris.",
                "run 1  r2  started " + runs.get(1).startedAt() + "  not finished");
        int table = lines.indexOf(lines.stream().filter(l -> l.startsWith("RUN ")).findFirst().orElseThrow());
        assertThat(words(lines.get(table))).containsExactly("RUN", "ID", "STATUS", "STARTED", "DURATION", "TOKENS",
                "IN", "OUT", "MODEL", "CALLS", "TOOL", "CALLS");
        assertThat(words(lines.get(table + 1))).containsExactly("0", "r1", "completed",
                runs.get(0).startedAt().toString(), ShowCommand.duration(runs.get(0).duration().orElseThrow())
                        .split(" ")[0], ShowCommand.duration(runs.get(0).duration().orElseThrow()).split(" ")[1],
                "980", "900", "80", "2", "2");
        assertThat(words(lines.get(table + 2))).containsExactly("1", "r2", "running",
                runs.get(1).startedAt().toString(), "-", "0", "0", "0", "0", "0");
        String shortened = lines.stream().filter(l -> l.startsWith("  #0 user: Plan my week")).findFirst()
                .orElseThrow();
        String shown = shortened.substring("  #0 user: ".length());
        assertThat(shown).endsWith(Display.ELLIPSIS).doesNotContain("keep it cheap");
        assertThat(shown.codePointCount(0, shown.length())).isEqualTo(Display.SHORT_LIMIT);
        assertThat(LONG_QUESTION).startsWith(shown.substring(0, shown.length() - 1));
    }

    @Test
    void showFullPrintsLongContentCompletely() {
        Result r = run(store.toString(), "show", "alice", "trip-1", "--full");

        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("  #0 user: " + LONG_QUESTION.replace("\n", "\n      "));
        assertThat(r.lines()).contains("      and keep it cheap.");
        assertThat(r.out()).doesNotContain(Display.ELLIPSIS);
    }

    // ---- export ----

    @Test
    void exportWritesTheWholeSessionAsJson() throws IOException {
        Result r = run(store.toString(), "export", "alice", "trip-1");

        assertThat(r.code()).isZero();
        assertThat(r.err()).isEmpty();
        JsonNode json = new ObjectMapper().readTree(r.out());
        Session session = session(ALICE_TRIP);
        assertThat(json.get("user_id").asText()).isEqualTo("alice");
        assertThat(json.get("session_id").asText()).isEqualTo("trip-1");
        assertThat(json.get("agent_id").asText()).isEqualTo("travel-agent");
        assertThat(Instant.parse(json.get("created_at").asText())).isEqualTo(session.createdAt());
        assertThat(Instant.parse(json.get("updated_at").asText())).isEqualTo(session.updatedAt());
        assertThat(json.get("run_count").asLong()).isEqualTo(2);
        assertThat(json.get("data").get("name").asText()).isEqualTo("Paris trip");
        JsonNode summary = json.get("summary");
        assertThat(summary.get("summary").asText()).isEqualTo("Alice plans a trip to Paris.");
        assertThat(summary.get("topics")).extracting(JsonNode::asText).containsExactly("travel", "weather");
        assertThat(summary.get("last_run_sequence").asLong()).isZero();
        assertThat(summary.get("updated_at").asText()).isEqualTo("2025-06-01T12:00:00Z");

        List<Run> runs = runs(ALICE_TRIP);
        JsonNode jsonRuns = json.get("runs");
        assertThat(jsonRuns).hasSize(2);
        JsonNode run0 = jsonRuns.get(0);
        assertThat(run0.get("run_id").asText()).isEqualTo("r1");
        assertThat(run0.get("sequence").asLong()).isZero();
        assertThat(run0.get("completed").asBoolean()).isTrue();
        assertThat(Instant.parse(run0.get("started_at").asText())).isEqualTo(runs.get(0).startedAt());
        assertThat(Instant.parse(run0.get("finished_at").asText())).isEqualTo(runs.get(0).finishedAt().get());

        JsonNode messages = run0.get("messages");
        assertThat(messages).hasSize(5);
        assertThat(messages).extracting(m -> m.get("role").asText())
                .containsExactly("user", "assistant", "tool", "tool", "assistant");
        assertThat(messages).extracting(m -> m.get("id").asText())
                .containsExactlyElementsOf(runs.get(0).messages().stream().map(Message::id).toList());
        JsonNode user = messages.get(0);
        assertThat(user.get("content").asText()).isEqualTo("What's the weather in Paris?");
        assertThat(user.get("payload").asText()).isEqualTo(USER_PAYLOAD);
        assertThat(user.get("tool_calls")).isEmpty();
        assertThat(user.get("tool_call_id").isNull()).isTrue();
        assertThat(Instant.parse(user.get("created_at").asText()))
                .isEqualTo(runs.get(0).messages().get(0).createdAt());
        JsonNode calls = messages.get(1).get("tool_calls");
        assertThat(messages.get(1).get("content").asText()).isEmpty();
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0).get("id").asText()).isEqualTo("call_1");
        assertThat(calls.get(0).get("name").asText()).isEqualTo("get_weather");
        assertThat(calls.get(0).get("arguments").asText()).isEqualTo("{\"city\":\"Paris\"}");
        JsonNode failed = messages.get(3);
        assertThat(failed.get("tool_call_id").asText()).isEqualTo("call_2");
        assertThat(failed.get("tool_name").asText()).isEqualTo("get_time");
        assertThat(failed.get("error").asBoolean()).isTrue();
        assertThat(failed.get("content").asText()).isEqualTo("timeout after 5 s");
        assertThat(messages.get(2).get("error").asBoolean()).isFalse();
        assertThat(messages.get(4).get("payload").isNull()).isTrue();

        JsonNode run1 = jsonRuns.get(1);
        assertThat(run1.get("completed").asBoolean()).isFalse();
        assertThat(run1.get("finished_at").isNull()).isTrue();
        assertThat(run1.get("messages").get(0).get("content").asText()).isEqualTo(LONG_QUESTION);
    }

    @Test
    void exportKeepsOddTextExactly() throws IOException {
        Result r = run(store.toString(), "export", "bob", "trip-1");

        assertThat(r.code()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("summary").isNull()).isTrue();
        assertThat(json.get("runs").get(0).get("messages").get(1).get("content").asText()).isEqualTo(ODD_TEXT);
    }

    @Test
    void exportToFileWritesTheSameJsonAndSaysWhere() throws IOException {
        Path file = dir.resolve("trip.json");
        String toStdout = run(store.toString(), "export", "alice", "trip-1").out();

        Result r = run(store.toString(), "export", "alice", "trip-1", "--out", file.toString());

        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("exported session trip-1 of user alice (2 runs, 6 messages) to " + file
                + "\n");
        ObjectMapper mapper = new ObjectMapper();
        assertThat(mapper.readTree(file.toFile())).isEqualTo(mapper.readTree(toStdout));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void exportToAnUnwritablePlaceFails() {
        Path file = dir.resolve("missing-dir").resolve("trip.json");

        Result r = run(store.toString(), "export", "alice", "trip-1", "--out", file.toString());

        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("inspector: cannot write " + file);
        assertThat(r.errLines()).hasSize(1);
        assertThat(file).doesNotExist();
    }

    // ---- delete ----

    @Test
    void deleteWithoutYesExplainsAndDeletesNothing() {
        Result r = run(store.toString(), "delete", "alice", "trip-1");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("inspector: nothing deleted: session trip-1 of user alice has 2 runs, "
                + "6 messages and a summary; deleting cannot be undone, so run again with --yes to delete it\n");
        assertThat(session(ALICE_TRIP).runCount()).isEqualTo(2);
    }

    @Test
    void deleteRemovesOnlyThatSession() {
        Result r = run(store.toString(), "delete", "alice", "trip-1", "--yes");

        assertThat(r.code()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("deleted session trip-1 of user alice: 2 runs, 6 messages and a summary\n");
        try (MapDbStorage storage = open()) {
            assertThat(storage.session(ALICE_TRIP)).isEmpty();
            assertThat(storage.runs(ALICE_TRIP)).isEmpty();
            assertThat(storage.sessionKeys(SessionFilter.any())).containsExactly(BOB_TRIP, ALICE_NOTES);
            assertThat(storage.lastRuns(BOB_TRIP, 10)).singleElement()
                    .satisfies(run -> assertThat(run.messages()).extracting(Message::content)
                            .containsExactly("Hi", ODD_TEXT));
            assertThat(storage.lastRuns(ALICE_NOTES, 10)).singleElement()
                    .satisfies(run -> assertThat(run.messages()).hasSize(2));
        }
        Result again = run(store.toString(), "show", "alice", "trip-1");
        assertThat(again.code()).isEqualTo(2);
        assertThat(again.err()).isEqualTo("inspector: no session trip-1 of user alice\n");
    }

    // ---- help and errors ----

    @Test
    void helpAndNoArgumentsPrintUsage() {
        for (String[] args : List.of(new String[0], new String[] {"help"}, new String[] {"--help"},
                new String[] {store.toString(), "help"})) {
            Result r = run(args);
            assertThat(r.code()).as(Arrays.toString(args)).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).contains("usage: Inspector <store-file> <command> [args]",
                    "sessions [--agent AGENT] [--limit N] [--offset N] [--user USER] [--json]",
                    "show <user> <session> [--full] [--json]", "export <user> <session> [--out FILE]",
                    "state <user> <session>", "rename <user> <session> <name>",
                    "delete <user> <session> [--yes]", "memories <user> [--limit N] [--offset N] [--full] [--json]",
                    "memory-history <user> <memory-id> [--full] [--json]", "delete-memories <user> [--yes]", "help");
        }
    }

    @Test
    void missingStoreIsReportedAndNothingIsCreated() throws IOException {
        Path missing = dir.resolve("empty").resolve("nope.db");
        Files.createDirectories(missing.getParent());

        Result r = run(missing.toString(), "sessions");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("inspector: no store at " + missing + "\n");
        try (Stream<Path> files = Files.list(missing.getParent())) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void storeInAMissingDirectoryIsReportedAsMissing() {
        Path missing = dir.resolve("no-such-dir").resolve("nope.db");

        Result r = run(missing.toString(), "show", "alice", "trip-1");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("inspector: no store at " + missing + "\n");
        assertThat(missing.getParent()).doesNotExist();
    }

    @Test
    void garbageFileIsNotAStoreAndIsLeftAlone() throws IOException {
        Path garbage = dir.resolve("notes.txt");
        byte[] content = "just some notes, not a store\n".getBytes(StandardCharsets.UTF_8);
        Files.write(garbage, content);

        Result r = run(garbage.toString(), "sessions");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("inspector: " + garbage).contains("is not an agno-memory store");
        assertThat(r.errLines()).hasSize(1);
        assertThat(Files.readAllBytes(garbage)).isEqualTo(content);
        assertThat(dir.resolve("notes.txt.journal")).doesNotExist();
    }

    @Test
    void directoryIsNotAStore() {
        Result r = run(dir.toString(), "sessions");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("inspector: " + dir + " is a directory, not an agno-memory store file\n");
    }

    /** Reading commands open the store read-only: they work while the app has it open, and change nothing. */
    @Test
    void readingCommandsWorkWhileTheAppHasTheStoreOpen() throws IOException {
        try (MapDbStorage app = open()) {
            app.appendMessage(ALICE_NOTES, "n2", Message.user("written by the running app"));
            Result sessions = run(store.toString(), "sessions");
            assertThat(sessions.code()).as(sessions.err()).isZero();
            assertThat(sessions.lines().get(sessions.lines().size() - 1)).isEqualTo("3 sessions");
            Result show = run(store.toString(), "show", "alice", "notes");
            assertThat(show.code()).as(show.err()).isZero();
            assertThat(show.out()).contains("written by the running app");
            Path out = dir.resolve("notes.json");
            Result export = run(store.toString(), "export", "alice", "notes", "--out", out.toString());
            assertThat(export.code()).as(export.err()).isZero();
            assertThat(Files.readString(out)).contains("written by the running app");
            // the app's store is unaffected and goes on
            app.completeRun(ALICE_NOTES, "n2");
        }
    }

    @Test
    void deletingWhileTheAppHasTheStoreOpenSaysToCloseTheAppFirst() {
        try (MapDbStorage app = open()) {
            Result r = run(store.toString(), "delete", "alice", "notes", "--yes");

            assertThat(r.code()).isEqualTo(2);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).isEqualTo("inspector: the store " + store + " is open in another process "
                    + "(probably the app that uses it); close that first, then run the inspector again\n");
            // the app's store is unaffected
            assertThat(app.session(ALICE_NOTES)).isPresent();
        }
        assertThat(run(store.toString(), "delete", "alice", "notes", "--yes").code()).isZero();
    }

    @Test
    void unknownSessionIsReported() {
        Result show = run(store.toString(), "show", "alice", "nope");
        assertThat(show.code()).isEqualTo(2);
        assertThat(show.out()).isEmpty();
        assertThat(show.err()).isEqualTo("inspector: no session nope of user alice\n");

        // session ids are per user: bob has no "notes"
        Result export = run(store.toString(), "export", "bob", "notes");
        assertThat(export.code()).isEqualTo(2);
        assertThat(export.out()).isEmpty();
        assertThat(export.err()).isEqualTo("inspector: no session notes of user bob\n");

        Result delete = run(store.toString(), "delete", "carol", "trip-1", "--yes");
        assertThat(delete.code()).isEqualTo(2);
        assertThat(delete.err()).isEqualTo("inspector: no session trip-1 of user carol\n");
    }

    @Test
    void badCommandLinesAreUsageErrors() {
        assertUsageError(run(store.toString(), "frob"),
                "unknown command 'frob'; commands: sessions, show, export, state, rename, delete, memories, "
                        + "memory-history, delete-memories, help");
        assertUsageError(run(store.toString()), "missing command after the store file " + store);
        assertUsageError(run("sessions"), "the store file comes first: Inspector <store-file> sessions");
        assertUsageError(run(store.toString(), "show", "alice"),
                "show is missing arguments; usage: show <user> <session> [--full] [--json]");
        assertUsageError(run(store.toString(), "show", "alice", "trip-1", "extra"),
                "show got too many arguments [extra]; usage: show <user> <session> [--full] [--json]");
        assertUsageError(run(store.toString(), "sessions", "--color"),
                "unknown option --color for sessions; usage: " + SESSIONS_USAGE);
        assertUsageError(run(store.toString(), "sessions", "--user"),
                "--user needs a value; usage: " + SESSIONS_USAGE);
        assertUsageError(run(store.toString(), "show", " ", "trip-1"),
                "<user> must not be blank; usage: show <user> <session> [--full] [--json]");
        assertUsageError(run(store.toString(), "sessions", "--limit", "0"),
                "--limit must be a whole number of at least 1, not 0");
        assertUsageError(run(store.toString(), "memories", "alice", "--offset=ten"),
                "--offset must be a whole number of at least 0, not ten");
    }

    @Test
    void usageErrorsDoNotOpenTheStore() {
        try (MapDbStorage app = open()) {
            assertUsageError(run(store.toString(), "show", "alice"),
                    "show is missing arguments; usage: show <user> <session> [--full] [--json]");
            assertThat(app.session(ALICE_TRIP)).isPresent();
        }
    }

    // ---- helpers ----

    private void assertUsageError(Result r, String message) {
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("inspector: " + message + " (run with 'help' for usage)\n");
    }

    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }

        List<String> errLines() {
            return err.lines().toList();
        }
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = new Inspector(o, e).run(args);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"),
                err.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"));
    }

    private MapDbStorage open() {
        return MapDbStorage.builder().file(store).createIfMissing(false).build();
    }

    private Session session(SessionKey key) {
        try (MapDbStorage storage = open()) {
            return storage.session(key).orElseThrow();
        }
    }

    private List<Run> runs(SessionKey key) {
        try (MapDbStorage storage = open(); Stream<Run> runs = storage.runs(key)) {
            return runs.toList();
        }
    }

    private String created(SessionKey key) {
        return stored(key).createdAt().toString();
    }

    private String updated(SessionKey key) {
        return stored(key).updatedAt().toString();
    }

    private Session stored(SessionKey key) {
        return storedSessions.stream().filter(s -> s.key().equals(key)).findFirst().orElseThrow();
    }

    private static List<String> words(String line) {
        return List.of(line.trim().split("\\s+"));
    }

}
