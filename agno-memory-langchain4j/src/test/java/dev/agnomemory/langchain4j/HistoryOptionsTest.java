package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.langchain4j.testing.CapturedLogs;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.UserMessage;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Agno's num_history_messages and max_tool_calls_from_history through the real AiServices. */
class HistoryOptionsTest {

    interface Assistant {
        String chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    static final class Weather {
        @Tool("Gives the weather in a city")
        String weather(String city) {
            return "sunny in " + city;
        }
    }

    private static final SessionKey ALICE = SessionKey.of("alice", "s1");

    @RegisterExtension
    final TempStorage store = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();
    @RegisterExtension
    final CapturedLogs logs = new CapturedLogs();

    private ScriptedOpenAiServer server;
    private MemoryStorage storage;

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
    }

    private Assistant assistant(Consumer<AgnoChatMemoryProvider.Builder> options) {
        AgnoChatMemoryProvider.Builder b = AgnoChatMemoryProvider.builder().storage(storage);
        options.accept(b);
        return b.build().attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel())
                .tools(new Weather()).build();
    }

    /** Three runs: plain, one with a weather call, plain again. */
    private void threeRuns(Assistant assistant) {
        server.replyText("a1");
        assistant.chat(ALICE, "q1");
        server.replyToolCalls(ToolCallSpec.of("w1", "weather", "{\"city\": \"Oslo\"}"));
        server.replyText("a2");
        assistant.chat(ALICE, "q2");
        server.replyText("a3");
        assistant.chat(ALICE, "q3");
    }

    private List<String> sent() {
        return server.lastRequest().messages().stream().map(m -> m.role() + ":" + m.content()).toList();
    }

    @Test
    void numHistoryMessagesSendsTheLastMessagesWithoutSplittingAToolExchange() {
        Assistant assistant = assistant(b -> b.numHistoryMessages(4));
        threeRuns(assistant);
        server.replyText("a4");
        assistant.chat(ALICE, "q4");
        // the last 4 messages of the history are tool, assistant a2, user q3, assistant a3: it starts at q3
        assertThat(sent()).containsExactly("user:q3", "assistant:a3", "user:q4");

        Assistant eight = assistant(b -> b.numHistoryMessages(8));
        server.replyText("a5");
        eight.chat(ALICE, "q5");
        // the last 8 messages start at q2 and hold its whole tool exchange
        assertThat(sent()).containsExactly("user:q2", "assistant:null", "tool:sunny in Oslo", "assistant:a2",
                "user:q3", "assistant:a3", "user:q4", "assistant:a4", "user:q5");
        assertThat(logs.linesWith("both set")).isEmpty();
    }

    @Test
    void whenRunsAndMessagesAreBothSetRunsWinWithAWarning() {
        Assistant assistant = assistant(b -> b.numHistoryResponses(1).numHistoryMessages(10));
        threeRuns(assistant);
        server.replyText("a4");
        assistant.chat(ALICE, "q4");
        assertThat(sent()).containsExactly("user:q3", "assistant:a3", "user:q4");
        assertThat(logs.linesWith("numHistoryResponses and numHistoryMessages are both set")).hasSize(1);
    }

    @Test
    void maxToolCallsFromHistoryDropsOlderToolExchangesFromThePromptOnly() {
        Assistant assistant = assistant(b -> b.numHistoryResponses(10).maxToolCallsFromHistory(1));
        server.replyToolCalls(ToolCallSpec.of("w1", "weather", "{\"city\": \"Oslo\"}"));
        server.replyText("Sunny in Oslo.");
        assistant.chat(ALICE, "Weather in Oslo?");
        server.replyToolCalls(ToolCallSpec.of("w2", "weather", "{\"city\": \"Rome\"}"));
        server.replyText("Sunny in Rome.");
        assistant.chat(ALICE, "Weather in Rome?");
        server.replyText("ok");
        assistant.chat(ALICE, "Thanks");

        assertThat(sent()).containsExactly("user:Weather in Oslo?", "assistant:Sunny in Oslo.",
                "user:Weather in Rome?", "assistant:null", "tool:sunny in Rome", "assistant:Sunny in Rome.",
                "user:Thanks");
        assertThat(server.lastRequest().messages().get(3).toolCalls()).extracting(ToolCallSpec::id)
                .containsExactly("w2");
        // storage keeps everything
        assertThat(storage.runs(ALICE).map(Run::messages).mapToInt(List::size).sum()).isEqualTo(4 + 4 + 2);
    }
}
