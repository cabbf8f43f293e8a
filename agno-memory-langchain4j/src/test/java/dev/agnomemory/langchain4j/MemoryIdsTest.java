package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import dev.agnomemory.langchain4j.testing.CapturedLogs;
import dev.agnomemory.langchain4j.testing.RecordedMessage;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.UserMessage;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every memory id LangChain4j accepts (LangChain4j's own {@code AiServiceChatMemoryConfigTest} passes an empty and
 * a whitespace one) is a session of its own, told apart by {@code toString()}.
 */
class MemoryIdsTest {

    interface ByString {
        String chat(@MemoryId String id, @UserMessage String message);
    }

    interface ByNumber {
        String chat(@MemoryId int id, @UserMessage String message);
    }

    @RegisterExtension
    final TempStorage store = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();
    @RegisterExtension
    final CapturedLogs logs = new CapturedLogs();

    private ScriptedOpenAiServer server;
    private MemoryStorage storage;
    private ByString byString;
    private ByNumber byNumber;

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
        AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder().storage(storage).userId("guest").build();
        byString = memory.attachTo(AiServices.builder(ByString.class)).chatModel(openAi.chatModel()).build();
        byNumber = memory.attachTo(AiServices.builder(ByNumber.class)).chatModel(openAi.chatModel()).build();
    }

    private List<String> userTexts() {
        return server.lastRequest().messages("user").stream().map(RecordedMessage::content).toList();
    }

    private void chat(String id, String message) {
        server.replyText("ok");
        byString.chat(id, message);
    }

    @Test
    void emptyAndBlankMemoryIdsAreSessionsOfTheirOwn() {
        chat("", "empty 1");
        chat("   ", "blank 1");
        chat("", "empty 2");
        assertThat(userTexts()).containsExactly("empty 1", "empty 2");
        chat("   ", "blank 2");
        assertThat(userTexts()).containsExactly("blank 1", "blank 2");
        chat(" ", "one space");
        assertThat(userTexts()).containsExactly("one space");

        assertThat(storage.sessions(SessionFilter.byUser("guest"))).extracting(Session::sessionId)
                .containsExactlyInAnyOrder("agno-memory-id:\"\"", "agno-memory-id:\"   \"", "agno-memory-id:\" \"");
        assertThat(logs.hasStackTrace()).isFalse();
    }

    @Test
    void idsThatLookEscapedDoNotCollideWithEscapedOnes() {
        chat("", "the empty id");
        chat("agno-memory-id:\"\"", "an id that looks like the empty id's session");
        assertThat(userTexts()).containsExactly("an id that looks like the empty id's session");
        chat("\t\n", "tab and newline");
        assertThat(storage.session(SessionKey.of("guest", "agno-memory-id:\"\\t\\n\""))).isPresent();
        assertThat(storage.session(SessionKey.of("guest", "agno-memory-id:\"agno-memory-id:\\\"\\\"\"")))
                .isPresent();
    }

    @Test
    void idsAreToldApartByToStringAsLangChain4jsStoresDo() {
        server.replyText("ok");
        byNumber.chat(1, "as a number");
        chat("1", "as a string");
        assertThat(userTexts()).containsExactly("as a number", "as a string");
        assertThat(storage.session(SessionKey.of("guest", "1"))).isPresent();
    }

    @Test
    void aMemoryIdWithoutAStringFormIsAClearError() {
        Object noString = new Object() {
            @Override
            public String toString() {
                return null;
            }
        };
        assertThatThrownBy(() -> SessionKeyResolver.withDefaultUser("u").resolve(noString))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("memoryId.toString() must not return null");
        assertThatThrownBy(() -> SessionKeyResolver.withDefaultUser("u").resolve(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("memoryId");
    }
}
