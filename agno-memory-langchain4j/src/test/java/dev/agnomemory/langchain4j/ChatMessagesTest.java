package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.CustomMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every LangChain4j message type survives storage and comes back equal. */
class ChatMessagesTest {

    @RegisterExtension
    final TempStorage temp = new TempStorage();

    static List<ChatMessage> allKinds() {
        ToolExecutionRequest call = ToolExecutionRequest.builder().id("call_1").name("get_weather")
                .arguments("{\"city\":\"Zürich\"}").build();
        return List.of(
                SystemMessage.from("You are helpful. 🤖"),
                UserMessage.from("plain text"),
                UserMessage.builder().name("alice").contents(List.of(TextContent.from("look at this"),
                        ImageContent.from("https://example.com/cat.png"),
                        ImageContent.from("aGVsbG8=", "image/png")))
                        .attributes(Map.of("source", "mobile", "count", 3)).build(),
                AiMessage.builder().text("Let me check.").thinking("The user wants weather; call the tool.")
                        .toolExecutionRequests(List.of(call)).attributes(Map.of("model", "x")).build(),
                AiMessage.from(call),
                ToolExecutionResultMessage.from(call, "{\"temp\":21}"),
                ToolExecutionResultMessage.builder().id("call_2").toolName("broken").text("boom").isError(true)
                        .build(),
                AiMessage.from("It is 21 °C. עברית \u0000 end"),
                CustomMessage.from(Map.of("kind", "note", "text", "custom payload")));
    }

    @Test
    void everyMessageTypeRoundTripsThroughTheStoreFile() {
        SessionKey key = SessionKey.of("alice", "s1");
        List<ChatMessage> messages = allKinds();
        MemoryStorage storage = temp.storage();
        storage.getOrCreateSession(key, null);
        for (ChatMessage m : messages) {
            storage.appendMessage(key, "r1", ChatMessages.toCore(m));
        }
        List<ChatMessage> back = temp.reopen().lastRuns(key, 1).get(0).messages().stream()
                .map(ChatMessages::toLangChain4j).toList();
        assertThat(back).isEqualTo(messages);
    }

    @Test
    void coreFieldsAreReadableWithoutLangChain4j() {
        List<Message> core = allKinds().stream().map(ChatMessages::toCore).toList();
        assertThat(core.get(0).role()).isEqualTo(Role.SYSTEM);
        assertThat(core.get(2).role()).isEqualTo(Role.USER);
        assertThat(core.get(2).content()).isEqualTo("look at this");
        assertThat(core.get(3).toolCalls()).singleElement().satisfies(c -> {
            assertThat(c.id()).isEqualTo("call_1");
            assertThat(c.name()).isEqualTo("get_weather");
            assertThat(c.arguments()).isEqualTo("{\"city\":\"Zürich\"}");
        });
        assertThat(core.get(5).role()).isEqualTo(Role.TOOL);
        assertThat(core.get(5).toolCallId()).isEqualTo("call_1");
        assertThat(core.get(5).toolName()).isEqualTo("get_weather");
        assertThat(core.get(6).error()).isTrue();
    }

    @Test
    void messagesWrittenByOtherCodeAreRebuiltFromCoreFields() {
        Message stored = Message.assistant("", List.of(new dev.agnomemory.core.ToolCall("c1", "t", "{}")));
        ChatMessage back = ChatMessages.toLangChain4j(stored);
        assertThat(back).isInstanceOf(AiMessage.class);
        assertThat(((AiMessage) back).toolExecutionRequests()).singleElement()
                .satisfies(r -> assertThat(r.name()).isEqualTo("t"));
        assertThat(ChatMessages.toLangChain4j(Message.toolResult("c1", "t", "ok", true)))
                .isEqualTo(ToolExecutionResultMessage.builder().id("c1").toolName("t").text("ok").isError(true)
                        .build());
    }
}
