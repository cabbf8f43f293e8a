package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.langchain4j.testing.RecordedMessage;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.StorageFixture;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import dev.langchain4j.agent.tool.CompensateFor;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What LangChain4j's tool loop does to the memory, through the real AiServices: a compensated tool call rewrites
 * the memory with {@code ChatMemory.set}, and a loop cut off by {@code maxToolCallingRoundTrips} leaves an
 * unfinished run.
 */
class ToolLoopsTest {

    private static final String SYSTEM = "You are a travel agent.";
    private static final SessionKey ALICE = SessionKey.of("alice", "trip");
    private static final ObjectMapper JSON = new ObjectMapper();

    interface Agent {
        @SystemMessage(SYSTEM)
        String chat(@MemoryId SessionKey session, @dev.langchain4j.service.UserMessage String message);
    }

    static final class Travel {
        final List<String> actions = new CopyOnWriteArrayList<>();

        @Tool("Books a hotel")
        String book(String hotel) {
            actions.add("booked " + hotel);
            return "booking B-1 at " + hotel;
        }

        @CompensateFor("book")
        void cancel(String hotel) {
            actions.add("cancelled " + hotel);
        }

        @Tool("Pays an amount")
        String pay(int amount) {
            throw new IllegalStateException("card declined");
        }
    }

    @RegisterExtension
    final StorageFixture store = fixture();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();

    private ScriptedOpenAiServer server;
    private MemoryStorage storage;
    private AgnoChatMemoryProvider memory;
    private Travel travel;

    /** The storage the tests run on: a MapDB file here, PostgreSQL in {@link ToolLoopsOnPostgresTest}. */
    StorageFixture fixture() {
        return new TempStorage();
    }

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
        memory = AgnoChatMemoryProvider.builder().storage(storage).readToolCallHistory(true)
                .createUserMemories(true).updateUserMemoriesAfterRun(false).build();
        travel = new Travel();
    }

    private Agent agent(int maxRoundTrips) {
        return memory.attachTo(AiServices.builder(Agent.class)).chatModel(openAi.chatModel()).tools(travel)
                .compensateOnToolErrors(true).maxToolCallingRoundTrips(maxRoundTrips).build();
    }

    @Test
    void aCompensatedToolCallReplacesOnlyItsResultAndKeepsTheSession() throws Exception {
        Agent agent = agent(10);
        server.replyText("Hello!");
        agent.chat(ALICE, "hi");
        Run first = storage.runs(ALICE).toList().get(0);
        server.replyToolCalls(ToolCallSpec.of("c1", "book", "{\"hotel\": \"Ritz\"}"));
        server.replyToolCalls(ToolCallSpec.of("c2", "pay", "{\"amount\": 300}"));
        server.replyText("The payment failed, so I cancelled the booking.");
        assertThat(agent.chat(ALICE, "Book the Ritz and pay")).isEqualTo(
                "The payment failed, so I cancelled the booking.");
        assertThat(travel.actions).containsExactly("booked Ritz", "cancelled Ritz");

        // LangChain4j sent the rolled-back result on; the session kept its first run (set() never deletes)
        List<RecordedMessage> results = server.lastRequest().messages("tool");
        assertThat(results.get(0).content()).isEqualTo(
                "Tool 'book' was executed successfully but was rolled back due to failure of tool 'pay'");
        List<Run> runs = storage.runs(ALICE).toList();
        assertThat(runs).hasSize(2).allMatch(Run::completed);
        assertThat(runs.get(0)).as("the first run is the same stored run, not a copy").isEqualTo(first);
        assertThat(runs).allSatisfy(run -> assertThat(run.messages()).noneMatch(m -> m.role() == Role.SYSTEM));
        assertThat(storage.session(ALICE).orElseThrow().data().get(SessionWindow.SYSTEM_MESSAGE_KEY))
                .as("the service's own system message is stored, not the composed one").contains(SYSTEM)
                .doesNotContain("memories");

        // the replacement was appended with the replaced message's id; readers see it in its place
        List<Message> effective = StoredMessages.effective(runs.get(1).messages());
        assertThat(effective).extracting(Message::role).containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL,
                Role.ASSISTANT, Role.TOOL, Role.ASSISTANT);
        assertThat(effective.get(2).content()).contains("rolled back");
        assertThat(effective.get(2).error()).isTrue();
        assertThat(runs.get(1).messages()).hasSize(7);

        server.replyToolCalls(ToolCallSpec.of("h1", "get_tool_call_history", "{\"num_calls\": 2}"));
        server.replyText("Nothing is booked.");
        agent.chat(ALICE, "What is booked?");
        List<RecordedMessage> sent = server.request(server.requests().size() - 2).messages();
        assertThat(sent).extracting(RecordedMessage::content).contains("hi", "Book the Ritz and pay")
                .contains("Tool 'book' was executed successfully but was rolled back due to failure of tool 'pay'")
                .doesNotContain("booking B-1 at Ritz");
        JsonNode calls = JSON.readTree(server.lastRequest().lastMessage().orElseThrow().content());
        assertThat(calls.get(1).get("tool_call_id").asText()).isEqualTo("c1");
        assertThat(calls.get(1).get("result").asText()).contains("rolled back");
        assertThat(calls.get(1).get("is_error").asBoolean()).isTrue();
    }

    @Test
    void setRefusesAnythingButReplacingResultsOfTheCurrentRun() {
        AgnoChatMemory chat = memory.get(ALICE);
        chat.add(UserMessage.from("hi"));
        chat.add(dev.langchain4j.data.message.AiMessage.from("hello"));
        assertThatThrownBy(() -> chat.set(List.of(UserMessage.from("something else"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("can only replace tool results of the run being written");
        chat.set(chat.messages()); // the same messages: nothing to do
        assertThat(storage.runs(ALICE).toList()).singleElement()
                .satisfies(run -> assertThat(run.messages()).hasSize(2));
    }

    @Test
    void aToolLoopCutOffByMaxToolCallingRoundTripsIsStoredAsAnErrorAndLeftOutOfLaterPrompts() throws Exception {
        Agent agent = agent(2);
        server.replyToolCalls(ToolCallSpec.of("b1", "book", "{\"hotel\": \"A\"}"));
        server.replyToolCalls(ToolCallSpec.of("b2", "book", "{\"hotel\": \"B\"}"));
        server.replyToolCalls(ToolCallSpec.of("b3", "book", "{\"hotel\": \"C\"}"));
        assertThatThrownBy(() -> agent.chat(ALICE, "Book something, anything"))
                .hasMessageContaining("exceeded 2 tool calling round trips");

        Run cut = storage.lastRuns(ALICE, 1).get(0);
        assertThat(cut.status()).isEqualTo(RunStatus.ERROR);
        assertThat(cut.error()).hasValueSatisfying(e -> assertThat(e).contains("exceeded 2 tool calling round trips"));
        assertThat(cut.messages()).extracting(Message::role).containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL,
                Role.ASSISTANT, Role.TOOL);
        assertThat(cut.metrics().modelCalls()).isEqualTo(3);
        assertThat(cut.metrics().toolCalls()).isEqualTo(2);

        server.replyToolCalls(ToolCallSpec.of("h", "get_tool_call_history", "{}"));
        server.replyText("I booked A and B before giving up.");
        agent.chat(ALICE, "What did you do?");
        // the unfinished loop is not sent again (no unanswered question, no dangling calls) ...
        assertThat(server.request(3).messages()).extracting(RecordedMessage::role)
                .containsExactly("system", "user");
        // ... but the tools can still see what it did
        JsonNode calls = JSON.readTree(server.lastRequest().lastMessage().orElseThrow().content());
        assertThat(calls).extracting(c -> c.get("tool_call_id").asText()).containsExactly("b2", "b1");
    }
}
