package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.langchain4j.testing.CapturedLogs;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.UserMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The memory's tools reach the model with or without {@code attachTo}, and a missing registration is told. */
class ToolsRegistrationTest {

    interface Assistant {
        String chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    private static final SessionKey ALICE = SessionKey.of("alice", "s1");
    private static final String NOT_REGISTERED = "Memory tools are on ([get_chat_history, get_tool_call_history]) "
            + "but were never registered with the AI service";

    @RegisterExtension
    final TempStorage store = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();
    @RegisterExtension
    final CapturedLogs logs = new CapturedLogs();

    private AgnoChatMemoryProvider memory() {
        return AgnoChatMemoryProvider.builder().storage(store.storage()).readChatHistory(true)
                .readToolCallHistory(true).build();
    }

    @Test
    void toolsThatAreOnButNeverRegisteredAreReportedOnce() {
        AgnoChatMemoryProvider memory = memory();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(openAi.chatModel())
                .chatMemoryProvider(memory).registerListeners(memory.listeners()).build();
        openAi.server().replyText("one");
        openAi.server().replyText("two");
        assistant.chat(ALICE, "hi");
        assistant.chat(SessionKey.of("bob", "s"), "hi");
        assertThat(openAi.server().lastRequest().tools()).isEmpty();
        assertThat(logs.linesWith(NOT_REGISTERED)).hasSize(1);
    }

    @Test
    void theToolsCanBeRegisteredByHand() {
        AgnoChatMemoryProvider memory = memory();
        Assistant assistant = AiServices.builder(Assistant.class).chatModel(openAi.chatModel())
                .chatMemoryProvider(memory).registerListeners(memory.listeners()).tools(memory.tools()).build();
        openAi.server().replyText("one");
        assistant.chat(ALICE, "hi");
        assertThat(openAi.server().lastRequest().tools()).containsExactly("get_chat_history",
                "get_tool_call_history");
        assertThat(logs.linesWith(NOT_REGISTERED)).isEmpty();
    }

    @Test
    void attachToRegistersThem() {
        Assistant assistant = memory().attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel())
                .build();
        openAi.server().replyText("one");
        assistant.chat(ALICE, "hi");
        assertThat(openAi.server().lastRequest().tools()).containsExactly("get_chat_history",
                "get_tool_call_history");
        assertThat(logs.linesWith(NOT_REGISTERED)).isEmpty();
    }
}
