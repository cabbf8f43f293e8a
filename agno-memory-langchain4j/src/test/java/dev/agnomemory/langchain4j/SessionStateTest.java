package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import dev.agnomemory.langchain4j.testing.RecordedMessage;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import dev.langchain4j.invocation.InvocationParameters;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.UserMessage;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Agno's session state and session name, through the real AiServices. */
class SessionStateTest {

    private static final String SYSTEM = "You are a shopping assistant.";
    private static final SessionKey ALICE = SessionKey.of("alice", "groceries");
    private static final SessionKey BOB = SessionKey.of("bob", "groceries");
    private static final ObjectMapper JSON = new ObjectMapper();

    interface Assistant {
        @SystemMessage(SYSTEM)
        String chat(@MemoryId SessionKey session, @UserMessage String message);

        @SystemMessage(SYSTEM)
        String chat(@MemoryId SessionKey session, @UserMessage String message, InvocationParameters parameters);
    }

    @RegisterExtension
    final TempStorage store = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();

    private ScriptedOpenAiServer server;
    private MemoryStorage storage;
    private AgnoChatMemoryProvider memory;

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
    }

    private Assistant assistant(Consumer<AgnoChatMemoryProvider.Builder> options) {
        AgnoChatMemoryProvider.Builder b = AgnoChatMemoryProvider.builder().storage(storage);
        options.accept(b);
        memory = b.build();
        return memory.attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel()).build();
    }

    private static JsonNode json(String text) throws Exception {
        return JSON.readTree(text);
    }

    private String system() {
        return server.lastRequest().messages().get(0).content();
    }

    @Test
    void addSessionStateToContextPutsTheStoredStateIntoTheSystemMessage() {
        Assistant assistant = assistant(b -> b.addSessionStateToContext(true));
        server.replyText("ok");
        assistant.chat(ALICE, "hi");
        assertThat(system()).isEqualTo(SYSTEM + "\n\n<session_state>\n{}\n</session_state>");

        memory.setSessionState(ALICE, "{\"cart\": [\"milk\"]}");
        server.replyText("ok");
        assistant.chat(ALICE, "what is in my cart?");
        assertThat(system()).isEqualTo(SYSTEM + "\n\n<session_state>\n{\"cart\":[\"milk\"]}\n</session_state>");
        assertThat(memory.sessionState(ALICE)).isEqualTo("{\"cart\":[\"milk\"]}");
        assertThatThrownBy(() -> memory.setSessionState(ALICE, "[1, 2]")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("state must be a JSON object");
    }

    @Test
    void theAgenticStateToolMergesKeysIntoTheCallersSessionOnly() throws Exception {
        Assistant assistant = assistant(b -> b.enableAgenticState(true).addSessionStateToContext(true));
        memory.setSessionState(ALICE, "{\"currency\": \"EUR\"}");
        memory.setSessionState(BOB, "{\"cart\": [\"beer\"]}");
        server.replyToolCalls(ToolCallSpec.of("s1", "update_session_state",
                "{\"session_state_updates\": {\"cart\": [\"milk\", \"eggs\"]}}"));
        server.replyText("Added milk and eggs.");
        assertThat(assistant.chat(ALICE, "Add milk and eggs")).isEqualTo("Added milk and eggs.");

        assertThat(server.request(0).tools()).contains("update_session_state");
        RecordedMessage result = server.lastRequest().lastMessage().orElseThrow();
        assertThat(result.content()).startsWith("Updated session state: ");
        assertThat(json(memory.sessionState(ALICE))).isEqualTo(json("{\"currency\":\"EUR\",\"cart\":[\"milk\",\"eggs\"]}"));
        assertThat(json(memory.sessionState(BOB))).isEqualTo(json("{\"cart\":[\"beer\"]}"));

        server.replyToolCalls(ToolCallSpec.of("s2", "update_session_state", "{\"session_state_updates\": \"milk\"}"));
        server.replyText("Sorry.");
        assistant.chat(ALICE, "Add milk again");
        assertThat(server.lastRequest().lastMessage().orElseThrow().content()).startsWith(
                "session_state_updates must be a JSON object of the keys to set, but was \"milk\"");
        assertThat(json(memory.sessionState(ALICE))).as("unchanged").isEqualTo(
                json("{\"currency\":\"EUR\",\"cart\":[\"milk\",\"eggs\"]}"));

        server.replyText("You have milk and eggs.");
        assistant.chat(ALICE, "What is in my cart?");
        assertThat(system()).contains("<session_state>\n{\"currency\":\"EUR\",\"cart\":[\"milk\",\"eggs\"]}\n");
    }

    @Test
    void onLoadTheCallsStateWinsOverTheStoredStateWhichWinsOverTheDefaults() throws Exception {
        Assistant assistant = assistant(b -> b.sessionState("{\"cart\": [], \"currency\": \"EUR\", \"theme\": "
                + "\"light\"}"));
        server.replyText("ok");
        assistant.chat(BOB, "hi");
        assertThat(json(memory.sessionState(BOB))).as("defaults for a new session")
                .isEqualTo(json("{\"cart\":[],\"currency\":\"EUR\",\"theme\":\"light\"}"));

        memory.setSessionState(ALICE, "{\"currency\": \"NOK\", \"cart\": [\"bread\"]}");
        server.replyText("ok");
        assistant.chat(ALICE, "hi", InvocationParameters.from(AgnoChatMemoryProvider.SESSION_STATE,
                Map.of("theme", "dark")));
        assertThat(json(memory.sessionState(ALICE)))
                .isEqualTo(json("{\"cart\":[\"bread\"],\"currency\":\"NOK\",\"theme\":\"dark\"}"));
    }

    @Test
    void overwriteDbSessionStateReplacesTheStoredStateWithTheCallsOwn() throws Exception {
        Assistant assistant = assistant(b -> b.sessionState("{\"currency\": \"EUR\"}")
                .overwriteDbSessionState(true));
        memory.setSessionState(ALICE, "{\"currency\": \"NOK\", \"cart\": [\"bread\"]}");
        server.replyText("ok");
        assistant.chat(ALICE, "hi", InvocationParameters.from(AgnoChatMemoryProvider.SESSION_STATE,
                "{\"cart\": [\"cheese\"]}"));
        assertThat(json(memory.sessionState(ALICE))).isEqualTo(json("{\"currency\":\"EUR\",\"cart\":[\"cheese\"]}"));

        server.replyText("ok");
        assistant.chat(ALICE, "a call without a state keeps the stored one");
        assertThat(json(memory.sessionState(ALICE))).isEqualTo(json("{\"currency\":\"EUR\",\"cart\":[\"cheese\"]}"));
    }

    @Test
    void theSessionNameIsSetAndReadFromJavaAndListedWithTheSessions() {
        Assistant assistant = assistant(b -> b.agentId("shop"));
        assertThat(memory.sessionName(ALICE)).isEmpty();
        memory.setSessionName(ALICE, "Weekly groceries");
        server.replyText("ok");
        assistant.chat(ALICE, "hi");
        assertThat(memory.sessionName(ALICE)).contains("Weekly groceries");
        assertThat(storage.sessions(SessionFilter.byUser("alice"))).singleElement().satisfies(s -> {
            assertThat(s.name()).contains("Weekly groceries");
            assertThat(s.agentId()).contains("shop");
            assertThat(s.runCount()).isOne();
        });
        memory.setSessionName(ALICE, null);
        assertThat(storage.session(ALICE).flatMap(Session::name)).isEmpty();
        assertThatThrownBy(() -> memory.setSessionName(ALICE, " ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("name");
        assertThat(List.of(memory.sessionName(BOB))).containsExactly(java.util.Optional.empty());
    }

    @Test
    void aCallsStateThatIsNotAnObjectIsIgnoredWithAWarning() throws Exception {
        Assistant assistant = assistant(b -> { });
        memory.setSessionState(ALICE, "{\"cart\": [\"bread\"]}");
        server.replyText("ok");
        assistant.chat(ALICE, "hi", InvocationParameters.from(AgnoChatMemoryProvider.SESSION_STATE, 42));
        assertThat(json(memory.sessionState(ALICE))).isEqualTo(json("{\"cart\":[\"bread\"]}"));
    }

    @Test
    void theBuilderChecksTheDefaults() {
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).sessionState("not json").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sessionState must be a JSON object");
    }
}
