package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.langchain4j.testing.CapturedLogs;
import dev.agnomemory.langchain4j.testing.RecordedMessage;
import dev.agnomemory.langchain4j.testing.RecordedRequest;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.StorageFixture;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.UserMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The adapter through a real {@code AiServices} and the real {@code OpenAiChatModel}, against a scripted
 * OpenAI-compatible server on 127.0.0.1: the exact messages the model receives on every request.
 */
class AgnoMemoryEndToEndTest {

    interface Assistant {
        @SystemMessage("You are a test assistant.")
        String chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    static final class Calculator {
        @Tool("Adds two numbers")
        int add(int a, int b) {
            return a + b;
        }
    }

    private static final String SYSTEM = "You are a test assistant.";
    private static final SessionKey ALICE = SessionKey.of("alice", "s1");
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    final StorageFixture store = fixture();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();
    @RegisterExtension
    final CapturedLogs logs = new CapturedLogs();

    private ScriptedOpenAiServer server;
    private MemoryStorage storage;
    private Assistant assistant;

    /** The storage the tests run on: a MapDB file here, PostgreSQL in {@link AgnoMemoryEndToEndOnPostgresTest}. */
    StorageFixture fixture() {
        return new TempStorage();
    }

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
        assistant = assistant();
    }

    private Assistant assistant() {
        AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder().storage(storage).agentId("test-agent")
                .numHistoryResponses(2).readChatHistory(true).readToolCallHistory(true).build();
        return memory.attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel())
                .tools(new Calculator()).build();
    }

    private static List<String> roles(RecordedRequest request) {
        return request.messages().stream().map(RecordedMessage::role).toList();
    }

    private static List<String> contents(RecordedRequest request) {
        return request.messages().stream().map(m -> m.content() == null ? "" : m.content()).toList();
    }

    /** Runs 1-4 of the conversation: a plain answer, a tool round trip, and two more plain answers. */
    private void fourRuns() {
        server.replyText("Hi Alice");
        assertThat(assistant.chat(ALICE, "My name is Alice")).isEqualTo("Hi Alice");
        server.replyToolCalls(ToolCallSpec.of("call_add", "add", "{\"a\":2,\"b\":3}"));
        server.replyText("It is 5");
        assertThat(assistant.chat(ALICE, "What is 2+3?")).isEqualTo("It is 5");
        server.replyText("three");
        assertThat(assistant.chat(ALICE, "Third")).isEqualTo("three");
        server.replyText("four");
        assertThat(assistant.chat(ALICE, "Fourth")).isEqualTo("four");
    }

    @Test
    void sendsTheLastNRunsWholeAndContinuesAfterReopening() {
        fourRuns();

        assertThat(contents(server.request(0))).containsExactly(SYSTEM, "My name is Alice");
        assertThat(contents(server.request(1))).containsExactly(SYSTEM, "My name is Alice", "Hi Alice",
                "What is 2+3?");
        RecordedRequest toolRound = server.request(2);
        assertThat(roles(toolRound)).containsExactly("system", "user", "assistant", "user", "assistant", "tool");
        assertThat(toolRound.messages().get(4).toolCalls()).singleElement()
                .satisfies(c -> assertThat(c.name()).isEqualTo("add"));
        assertThat(toolRound.messages().get(5).toolCallId()).isEqualTo("call_add");
        assertThat(toolRound.messages().get(5).content()).isEqualTo("5");
        // numHistoryResponses = 2: run 1 and run 2 (with its tool round trip, whole)
        assertThat(roles(server.request(3))).containsExactly("system", "user", "assistant", "user", "assistant",
                "tool", "assistant", "user");
        assertThat(contents(server.request(3)).get(7)).isEqualTo("Third");
        // run 1 has left the window; runs 2 and 3 remain
        assertThat(roles(server.request(4))).containsExactly("system", "user", "assistant", "tool", "assistant",
                "user", "assistant", "user");
        assertThat(contents(server.request(4))).startsWith(SYSTEM, "What is 2+3?").endsWith("Third", "three",
                "Fourth");

        List<Run> runs = storage.runs(ALICE).toList();
        assertThat(runs).hasSize(4).allMatch(Run::completed);
        assertThat(runs.get(1).messages()).hasSize(4);
        assertThat(storage.session(ALICE).orElseThrow().agentId()).contains("test-agent");

        storage = store.reopen();
        assistant = assistant();
        server.replyText("welcome back");
        assertThat(assistant.chat(ALICE, "Continue")).isEqualTo("welcome back");
        assertThat(contents(server.lastRequest())).containsExactly(SYSTEM, "Third", "three", "Fourth", "four",
                "Continue");
        assertThat(storage.runs(ALICE).count()).isEqualTo(5);
        server.assertAllRepliesConsumed();
    }

    @Test
    void runIdsAreTheInvocationIds() {
        server.replyText("one");
        assistant.chat(ALICE, "first");
        Run run = storage.lastRuns(ALICE, 1).get(0);
        assertThat(java.util.UUID.fromString(run.runId())).isNotNull();
        assertThat(run.messages()).extracting(m -> m.content()).containsExactly("first", "one");
    }

    @Test
    void chatHistoryToolReadsBeyondTheWindow() throws Exception {
        fourRuns();
        server.replyToolCalls(ToolCallSpec.of("call_h", "get_chat_history", "{}"));
        server.replyText("You said your name is Alice");
        assertThat(assistant.chat(ALICE, "What did I say first?")).isEqualTo("You said your name is Alice");

        RecordedRequest afterTool = server.lastRequest();
        assertThat(afterTool.tools()).contains("get_chat_history", "get_tool_call_history", "add");
        RecordedMessage toolResult = afterTool.lastMessage().orElseThrow();
        assertThat(toolResult.role()).isEqualTo("tool");
        JsonNode history = JSON.readTree(toolResult.content());
        assertThat(history).hasSize(8);
        assertThat(history.get(0).get("role").asText()).isEqualTo("user");
        assertThat(history.get(0).get("content").asText()).isEqualTo("My name is Alice");
        assertThat(history.get(3).get("content").asText()).isEqualTo("It is 5");
        assertThat(contents(afterTool)).doesNotContain("My name is Alice"); // outside the prompt window

        server.replyToolCalls(ToolCallSpec.of("call_h2", "get_chat_history", "{\"num_chats\": 1}"));
        server.replyText("ok");
        assistant.chat(ALICE, "And last?");
        JsonNode last = JSON.readTree(server.lastRequest().lastMessage().orElseThrow().content());
        assertThat(last).hasSize(2);
        assertThat(last.get(0).get("content").asText()).isEqualTo("What did I say first?");
    }

    @Test
    void toolCallHistoryIsNewestFirstWithArgumentsAndResults() throws Exception {
        fourRuns();
        server.replyToolCalls(ToolCallSpec.of("call_b", "add", "{\"a\":10,\"b\":20}"));
        server.replyText("30");
        assistant.chat(ALICE, "10+20?");
        server.replyToolCalls(ToolCallSpec.of("call_t", "get_tool_call_history", "{\"num_calls\": 2}"));
        server.replyText("done");
        assistant.chat(ALICE, "Which tools did you use?");

        JsonNode calls = JSON.readTree(server.lastRequest().lastMessage().orElseThrow().content());
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0).get("tool_call_id").asText()).isEqualTo("call_b");
        assertThat(calls.get(0).get("arguments").asText()).isEqualTo("{\"a\":10,\"b\":20}");
        assertThat(calls.get(0).get("result").asText()).isEqualTo("30");
        assertThat(calls.get(1).get("tool_call_id").asText()).isEqualTo("call_add");
        assertThat(calls.get(1).get("result").asText()).isEqualTo("5");
        assertThat(calls.get(1).get("is_error").asBoolean()).isFalse();
    }

    @Test
    void badToolArgumentsAreAnsweredToTheModelAndTheCallGoesOn() {
        server.replyText("hello");
        assistant.chat(ALICE, "hi");
        server.replyToolCalls(ToolCallSpec.of("c1", "get_chat_history", "{\"num_chats\": -1}"),
                ToolCallSpec.of("c2", "get_chat_history", "{\"num_chats\": 0}"),
                ToolCallSpec.of("c3", "get_tool_call_history", "{\"num_calls\": 99999999}"),
                ToolCallSpec.of("c4", "get_chat_history", "{\"num_chats\": \"abc\"}"),
                ToolCallSpec.of("c5", "get_chat_history", "not json at all"),
                ToolCallSpec.of("c6", "get_chat_history", "{\"num_chats\": 12345678901234}"));
        server.replyText("sorry, recovered");
        assertThat(assistant.chat(ALICE, "history please")).isEqualTo("sorry, recovered");

        List<RecordedMessage> results = server.lastRequest().messages("tool");
        assertThat(results).hasSize(6);
        assertThat(results.get(0).content()).isEqualTo("num_chats must be a whole number of at least 1, but was -1."
                + " Call get_chat_history again with a positive number, or without num_chats.");
        assertThat(results.get(1).content()).contains("at least 1, but was 0");
        assertThat(results.get(2).content()).contains("num_calls must be at most 10000, but was 99999999");
        assertThat(results.get(3).content()).isEqualTo("num_chats must be a whole number, but was \"abc\". Call "
                + "get_chat_history again with a number, or without num_chats.");
        assertThat(results.get(4).content()).isEqualTo("The arguments of get_chat_history must be a JSON object, "
                + "but were: not json at all. Call get_chat_history again with a JSON object.");
        assertThat(results.get(5).content()).contains("num_chats must be at most 100000");
        assertThat(results).allSatisfy(r -> assertThat(r.content()).doesNotContain("Jackson", "Source:", "line:"));
        // each bad call is one short DEBUG line, no stack trace
        assertThat(logs.linesWith("The model called get_chat_history with arguments it cannot use")).hasSize(5);
        assertThat(logs.hasStackTrace()).isFalse();
        // the call's run is whole in storage: the request, six error results, the answer
        Run run = storage.lastRuns(ALICE, 1).get(0);
        assertThat(run.completed()).isTrue();
        assertThat(run.messages()).hasSize(9);
        assertThat(run.messages().stream().filter(m -> m.role() == dev.agnomemory.core.Role.TOOL))
                .allMatch(m -> m.error());
    }

    @Test
    void twoUsersWithTheSameSessionIdStayApart() throws Exception {
        server.replyText("Hi Alice");
        assistant.chat(ALICE, "I am Alice and my secret is 42");
        SessionKey bob = SessionKey.of("bob", "s1");
        server.replyText("Hi Bob");
        assistant.chat(bob, "I am Bob");
        assertThat(contents(server.lastRequest())).containsExactly(SYSTEM, "I am Bob");

        server.replyToolCalls(ToolCallSpec.of("c", "get_chat_history", "{}"));
        server.replyText("nothing about Alice");
        assistant.chat(bob, "What do you know?");
        String bobsHistory = server.lastRequest().lastMessage().orElseThrow().content();
        assertThat(bobsHistory).contains("I am Bob").doesNotContain("Alice").doesNotContain("secret");
        assertThat(storage.runs(ALICE).count()).isEqualTo(1);
        assertThat(storage.runs(bob).count()).isEqualTo(2);
    }

    @Test
    void aFailedCallLeavesAnIncompleteRunThatLaterPromptsLeaveOut() {
        server.replyText("Hi");
        assistant.chat(ALICE, "hello");
        server.replyToolCalls(ToolCallSpec.of("call_x", "add", "{\"a\":1,\"b\":1}"));
        server.replyRaw(500, "{\"error\":{\"message\":\"model crashed\"}}");
        assertThatThrownBy(() -> assistant.chat(ALICE, "this call fails")).isNotNull();

        server.replyText("fine");
        assertThat(assistant.chat(ALICE, "next")).isEqualTo("fine");
        assertThat(contents(server.lastRequest())).containsExactly(SYSTEM, "hello", "Hi", "next");

        List<Run> runs = storage.runs(ALICE).toList();
        assertThat(runs).extracting(Run::completed).containsExactly(true, false, true);
        assertThat(runs.get(1).messages()).extracting(m -> m.content()).startsWith("this call fails");
    }

    @Test
    void concurrentCallsOnOneSessionTakeTurnsAndRunsStayWhole() throws Exception {
        int calls = 8;
        for (int i = 0; i < calls; i++) {
            server.replyWith(request -> dev.agnomemory.langchain4j.testing.ScriptedReply.text(
                    "echo: " + request.messages("user").get(request.messages("user").size() - 1).content()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                String text = "message " + i;
                answers.add(pool.submit(() -> assistant.chat(ALICE, text)));
            }
            for (int i = 0; i < calls; i++) {
                assertThat(answers.get(i).get(1, TimeUnit.MINUTES)).isEqualTo("echo: message " + i);
            }
        } finally {
            pool.shutdownNow();
        }
        List<Run> runs = storage.runs(ALICE).toList();
        assertThat(runs).hasSize(calls).allMatch(Run::completed);
        for (Run run : runs) {
            assertThat(run.messages()).hasSize(2);
            String question = run.messages().get(0).content();
            assertThat(run.messages().get(1).content()).isEqualTo("echo: " + question);
        }
        // every request saw whole runs only: user/assistant pairs after the system message, then its question
        for (RecordedRequest request : server.requests()) {
            List<String> roles = roles(request);
            assertThat(roles.get(0)).isEqualTo("system");
            for (int i = 1; i < roles.size() - 1; i += 2) {
                assertThat(roles.subList(i, i + 2)).containsExactly("user", "assistant");
            }
            assertThat(roles.get(roles.size() - 1)).isEqualTo("user");
        }
    }
}
