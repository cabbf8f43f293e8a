package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.core.testing.TickingClock;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import dev.agnomemory.langchain4j.testing.ToolRound;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.UserMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Agno v2's past-session tools ({@code search_past_sessions}, {@code read_past_session}) through the real
 * AiServices and the real OpenAI model against the scripted server: what the model is offered, what it reads,
 * that it never reaches another user's sessions, and that bad arguments are answered to it.
 */
class PastSessionToolsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SessionKey NOW = SessionKey.of("alice", "now");

    interface Assistant {
        String chat(@MemoryId Object session, @UserMessage String message);
    }

    @RegisterExtension
    final TempStorage store = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();

    private ScriptedOpenAiServer server;
    private MapDbStorage storage;
    private AgnoChatMemoryProvider memory;
    private Assistant assistant;
    private final AtomicLong callIds = new AtomicLong();

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = MapDbStorage.builder().file(store.dir().resolve("past.db")).clock(
                new TickingClock(Instant.ofEpochSecond(1_700_000_000L), Duration.ofSeconds(1))).build();
    }

    @AfterEach
    void stop() {
        storage.close();
    }

    private void memory(Consumer<AgnoChatMemoryProvider.Builder> options) {
        AgnoChatMemoryProvider.Builder b = AgnoChatMemoryProvider.builder().storage(storage);
        options.accept(b);
        memory = b.build();
        assistant = memory.attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel()).build();
    }

    /** One real run: the user says something, the model answers. */
    private void say(Object session, String user, String answer) {
        server.replyText(answer);
        assertThat(assistant.chat(session, user)).isEqualTo(answer);
    }

    /** One call in which the model calls the tools as given, then answers; returns the tool results in order. */
    private List<String> callTools(Object session, ToolCallSpec... calls) {
        return ToolRound.results(server, () -> assistant.chat(session, "Look at my past conversations"), calls);
    }

    private String callTool(Object session, String tool, String arguments) {
        return callTools(session, ToolCallSpec.of("t" + callIds.incrementAndGet(), tool, arguments)).get(0);
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    @Test
    void theToolsAreOfferedOnlyWhenOnWithTheirDescriptionsAndParameters() {
        memory(b -> { });
        say(NOW, "hi", "hello");
        assertThat(server.lastRequest().tools()).isEmpty();

        memory(b -> b.searchPastSessions(true));
        say(NOW, "hi again", "hello again");
        assertThat(server.lastRequest().tools()).containsExactly("search_past_sessions", "read_past_session");
        JsonNode tools = server.lastRequest().json().get("tools");
        JsonNode search = tools.get(0).get("function");
        assertThat(search.get("description").asText()).isEqualTo("Lists the user's previous chat sessions, most "
                + "recently active first, with short previews of their first exchanges, as JSON (session_id, name, "
                + "created_at, updated_at, runs of user/assistant text). Use read_past_session to read the full "
                + "conversation of a specific session.");
        assertThat(search.path("parameters").path("properties").size()).isZero();
        JsonNode read = tools.get(1).get("function");
        assertThat(read.get("description").asText()).isEqualTo("Reads the full conversation of one of the user's "
                + "previous sessions, as JSON (its runs with the user's and your messages). Use search_past_sessions "
                + "first to find relevant sessions.");
        JsonNode parameters = read.get("parameters");
        assertThat(parameters.path("properties").path("session_id").path("type").asText()).isEqualTo("string");
        assertThat(parameters.path("properties").path("session_id").path("description").asText())
                .isEqualTo("The session ID to read (from search_past_sessions).");
        assertThat(parameters.path("properties").path("num_runs").path("type").asText()).isEqualTo("integer");
        assertThat(parameters.path("properties").path("num_runs").path("description").asText())
                .isEqualTo("How many runs to read, from the start of the session. Omit it to read all runs.");
        assertThat(parameters.path("required")).extracting(JsonNode::asText).containsExactly("session_id");
    }

    @Test
    void searchListsTheUsersOtherSessionsMostRecentlyActiveFirstWithPreviewsOfTheirFirstRuns() throws Exception {
        memory(b -> b.searchPastSessions(true).numPastSessionRunsInSearch(2));
        say(SessionKey.of("alice", "italy"), "Plan a trip to Rome", "Rome it is.");
        say(SessionKey.of("alice", "italy"), "Add Florence", "Florence added.");
        say(SessionKey.of("alice", "italy"), "And Venice", "Venice too.");
        String longQuestion = "😀".repeat(250);
        say(SessionKey.of("alice", "emoji"), longQuestion, "x".repeat(201));
        say(SessionKey.of("alice", "cooking"), "A vegan lasagna recipe?", "Here is one.");
        memory.setSessionName(SessionKey.of("alice", "cooking"), "Vegan cooking");
        memory.setSessionName(SessionKey.of("alice", "named-only"), "No runs yet");
        say(SessionKey.of("bob", "bobs-secret-plans"), "My bank PIN is 1234", "Noted.");
        say(SessionKey.of("bob", "italy"), "Bob goes to Milan", "Milan, then.");
        say(SessionKey.of("alice", "italy"), "Book the train", "Booked."); // italy is active again
        say(NOW, "hi", "hello");

        JsonNode list = json(callTool(NOW, "search_past_sessions", "{}"));
        assertThat(list).extracting(s -> s.get("session_id").asText())
                .as("alice's sessions with runs, not the current one, most recently active first")
                .containsExactly("italy", "cooking", "emoji");
        JsonNode italy = list.get(0);
        assertThat(italy.has("name")).isFalse();
        assertThat(Instant.parse(italy.get("created_at").asText()))
                .isBefore(Instant.parse(italy.get("updated_at").asText()));
        assertThat(italy.get("runs")).as("the first two runs").hasSize(2);
        assertThat(italy.get("runs").get(0).get("user").asText()).isEqualTo("Plan a trip to Rome");
        assertThat(italy.get("runs").get(0).get("assistant").asText()).isEqualTo("Rome it is.");
        assertThat(italy.get("runs").get(1).get("user").asText()).isEqualTo("Add Florence");
        assertThat(list.get(1).get("name").asText()).isEqualTo("Vegan cooking");
        JsonNode emoji = list.get(2).get("runs").get(0);
        assertThat(emoji.get("user").asText()).as("cut after 200 characters, no surrogate pair split")
                .isEqualTo("😀".repeat(200) + "...");
        assertThat(emoji.get("assistant").asText()).isEqualTo("x".repeat(200) + "...");
        assertThat(list.toString()).doesNotContain("Milan", "PIN", "bobs-secret-plans", "Book the train");

        memory(b -> b.searchPastSessions(true).numPastSessionsToSearch(1));
        JsonNode one = json(callTool(NOW, "search_past_sessions", "{}"));
        assertThat(one).extracting(s -> s.get("session_id").asText()).containsExactly("italy");
        assertThat(one.get(0).get("runs")).as("three runs by default").hasSize(3);

        JsonNode fromItaly = json(callTool(SessionKey.of("alice", "italy"), "search_past_sessions", "{}"));
        assertThat(fromItaly).extracting(s -> s.get("session_id").asText()).as("now is a past session from italy")
                .containsExactly("now");
    }

    @Test
    void readPastSessionReadsTheUsersSessionFromItsStart() throws Exception {
        memory(b -> b.searchPastSessions(true));
        SessionKey italy = SessionKey.of("alice", "italy");
        say(italy, "Plan a trip to Rome", "Rome it is.");
        say(italy, "Add Florence", "Florence added.");
        memory.setSessionName(italy, "Italy trip");
        say(NOW, "hi", "hello");

        JsonNode whole = json(callTool(NOW, "read_past_session", "{\"session_id\": \"italy\"}"));
        assertThat(whole.get("session_id").asText()).isEqualTo("italy");
        assertThat(whole.get("name").asText()).isEqualTo("Italy trip");
        assertThat(whole.get("runs")).hasSize(2);
        JsonNode first = whole.get("runs").get(0);
        assertThat(first.get("run_id").asText()).isEqualTo(storage.runs(italy).toList().get(0).runId());
        assertThat(first.get("status").asText()).isEqualTo("completed");
        assertThat(first.get("messages")).extracting(m -> m.get("role").asText() + ": " + m.get("content").asText())
                .containsExactly("user: Plan a trip to Rome", "assistant: Rome it is.");

        JsonNode firstOnly = json(callTool(NOW, "read_past_session", "{\"session_id\": \"italy\", \"num_runs\": 1}"));
        assertThat(firstOnly.get("runs")).hasSize(1);
        assertThat(firstOnly.get("runs").get(0).get("messages").get(0).get("content").asText())
                .isEqualTo("Plan a trip to Rome");

        JsonNode padded = json(callTool(NOW, "read_past_session", "{\"session_id\": \" italy \", \"num_runs\": \"2\"}"));
        assertThat(padded.get("runs")).as("surrounding whitespace and a number as text are forgiven").hasSize(2);

        JsonNode current = json(callTool(NOW, "read_past_session", "{\"session_id\": \"now\"}"));
        assertThat(current.get("runs").get(0).get("messages").get(0).get("content").asText()).isEqualTo("hi");
    }

    @Test
    void noArgumentReachesAnotherUsersSessions() throws Exception {
        memory(b -> b.searchPastSessions(true));
        say(SessionKey.of("bob", "secret"), "My bank PIN is 1234", "Noted.");
        say(SessionKey.of("bob", "shared-id"), "Bob's shared-id text", "ok");
        say(SessionKey.of("alice", "shared-id"), "Alice's shared-id text", "ok");
        say("secret", "The default user's secret", "ok"); // a plain memory id: user "default"
        say(NOW, "hi", "hello");

        List<String> answers = callTools(NOW,
                ToolCallSpec.of("a1", "read_past_session", "{\"session_id\": \"secret\"}"),
                ToolCallSpec.of("a2", "read_past_session", "{\"session_id\": \"does-not-exist\"}"),
                ToolCallSpec.of("a3", "read_past_session", "{\"session_id\": \"bob/secret\"}"),
                ToolCallSpec.of("a4", "read_past_session", "{\"session_id\": \"bob:secret\"}"),
                ToolCallSpec.of("a5", "read_past_session",
                        "{\"session_id\": \"SessionKey[userId=bob, sessionId=secret]\"}"),
                ToolCallSpec.of("a6", "read_past_session", "{\"session_id\": \"secret\", \"user_id\": \"bob\"}"),
                ToolCallSpec.of("a7", "read_past_session", "{\"session_id\": \"secret\", \"num_runs\": 1, "
                        + "\"userId\": \"default\"}"),
                ToolCallSpec.of("a8", "read_past_session", "{\"session_id\": \"%\"}"),
                ToolCallSpec.of("a9", "read_past_session", "{\"session_id\": \"*\"}"));
        assertThat(answers).as("another user's session is answered exactly as a missing one")
                .containsOnly(ReadPastSessionTool.NOT_FOUND);

        JsonNode shared = json(callTool(NOW, "read_past_session", "{\"session_id\": \"shared-id\", \"user_id\": "
                + "\"bob\"}"));
        assertThat(shared.toString()).contains("Alice's shared-id text").doesNotContain("Bob");

        JsonNode list = json(callTool(NOW, "search_past_sessions", "{\"user_id\": \"bob\", \"session_id\": "
                + "\"secret\"}"));
        assertThat(list).extracting(s -> s.get("session_id").asText()).containsExactly("shared-id");
        assertThat(list.toString()).doesNotContain("PIN", "Bob", "default user");

        // the same tool from bob's side does read bob's session: the answers above are not an accident
        JsonNode bobs = json(callTool(SessionKey.of("bob", "other"), "read_past_session",
                "{\"session_id\": \"secret\"}"));
        assertThat(bobs.toString()).contains("My bank PIN is 1234");
    }

    @Test
    void badArgumentsAreAnsweredToTheModelAndTheCallGoesOn() {
        memory(b -> b.searchPastSessions(true));
        say(SessionKey.of("alice", "italy"), "Plan a trip to Rome", "Rome it is.");
        List<String> answers = callTools(NOW,
                ToolCallSpec.of("b1", "read_past_session", "{}"),
                ToolCallSpec.of("b2", "read_past_session", "{\"session_id\": \"   \"}"),
                ToolCallSpec.of("b3", "read_past_session", "{\"session_id\": 42}"),
                ToolCallSpec.of("b4", "read_past_session", "{\"session_id\": [\"italy\"]}"),
                ToolCallSpec.of("b5", "read_past_session", "{\"session_id\": \"italy\", \"num_runs\": 0}"),
                ToolCallSpec.of("b6", "read_past_session", "{\"session_id\": \"italy\", \"num_runs\": -3}"),
                ToolCallSpec.of("b7", "read_past_session", "{\"session_id\": \"italy\", \"num_runs\": 1000000000000}"),
                ToolCallSpec.of("b8", "read_past_session", "{\"session_id\": \"italy\", \"num_runs\": \"all\"}"),
                ToolCallSpec.of("b9", "read_past_session", "{\"session_id\": \"italy\", \"num_runs\": true}"),
                ToolCallSpec.of("b10", "read_past_session", "not json at all"),
                ToolCallSpec.of("b11", "search_past_sessions", "[1, 2]"),
                ToolCallSpec.of("b12", "read_past_session", "{\"session_id\": \"italy\", \"num_runs\": null}"));
        assertThat(answers.get(0)).isEqualTo("session_id is required and must be a non-empty text. Call "
                + "read_past_session again with session_id.");
        assertThat(answers.get(1)).startsWith("session_id is required and must be a non-empty text, but was");
        assertThat(answers.get(2)).isEqualTo("session_id is required and must be a non-empty text, but was 42. "
                + "Call read_past_session again with session_id.");
        assertThat(answers.get(3)).startsWith("session_id is required and must be a non-empty text, but was "
                + "[\"italy\"]");
        assertThat(answers.get(4)).startsWith("num_runs must be a whole number of at least 1, but was 0.");
        assertThat(answers.get(5)).startsWith("num_runs must be a whole number of at least 1, but was -3.");
        assertThat(answers.get(6)).startsWith("num_runs must be at most 100000, but was 1000000000000.");
        assertThat(answers.get(7)).startsWith("num_runs must be a whole number, but was \"all\".");
        assertThat(answers.get(8)).startsWith("num_runs must be a whole number, but was true.");
        assertThat(answers.get(9)).isEqualTo("The arguments of read_past_session must be a JSON object, but were: "
                + "not json at all. Call read_past_session again with a JSON object.");
        assertThat(answers.get(10)).startsWith("The arguments of search_past_sessions must be a JSON object");
        assertThat(answers.get(11)).as("null is the same as leaving it out").contains("Plan a trip to Rome");
        assertThat(server.lastRequest().messages("assistant")).isNotEmpty();
    }

    @Test
    void theBuilderRejectsCountsBelowOne() {
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).numPastSessionsToSearch(0)
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("numPastSessionsToSearch");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).numPastSessionRunsInSearch(-1)
                .build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("numPastSessionRunsInSearch");
    }
}
