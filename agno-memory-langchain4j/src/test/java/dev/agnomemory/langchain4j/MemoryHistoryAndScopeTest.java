package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.langchain4j.testing.ScriptedChatModel;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every memory change is recorded with what caused it (Mem0's history: the memory model after run N, the agentic
 * tool, the application), and memories can be scoped to an agent. Through the real AiServices.
 */
class MemoryHistoryAndScopeTest {

    private static final String SYSTEM = "You are a helpful assistant.";

    interface Assistant {
        @SystemMessage(SYSTEM)
        String chat(@MemoryId SessionKey session, @dev.langchain4j.service.UserMessage String message);
    }

    @RegisterExtension
    final TempStorage store = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();

    private ScriptedOpenAiServer server;
    private MemoryStorage storage;
    private final List<String> memoryModelSaw = new ArrayList<>();

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
    }

    /** A memory model that remembers one fact per request, named by {@code facts}. */
    private ScriptedChatModel memoryModel(Function<String, String> facts) {
        ScriptedChatModel model = new ScriptedChatModel(false);
        for (int i = 0; i < 20; i++) {
            model.reply((ChatRequest request) -> {
                String said = ((UserMessage) request.messages().get(request.messages().size() - 1)).singleText();
                memoryModelSaw.add(said);
                // decide on what the user said or asked, not on the existing memories shown before it
                String fact = facts.apply(said.substring(said.indexOf("</existing_memories>")));
                return fact == null ? "{\"worth_remembering\": false, \"operations\": []}"
                        : "{\"worth_remembering\": true, \"operations\": [{\"action\": \"add\", \"memory\": \""
                                + fact + "\", \"topics\": []}]}";
            });
        }
        return model;
    }

    private AgnoChatMemoryProvider provider(ScriptedChatModel model, Consumer<AgnoChatMemoryProvider.Builder> options) {
        AgnoChatMemoryProvider.Builder b = AgnoChatMemoryProvider.builder().storage(storage).memoryModel(model)
                .createUserMemories(true);
        options.accept(b);
        return b.build();
    }

    private Assistant assistant(AgnoChatMemoryProvider provider) {
        return provider.attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel()).build();
    }

    private String system() {
        return server.lastRequest().messages().get(0).content();
    }

    @Test
    void everyChangeIsRecordedWithItsCause() {
        AgnoChatMemoryProvider provider = provider(memoryModel(said -> said.contains("Oslo")
                ? "The user lives in Oslo." : said.contains("vegetarian") ? "The user is vegetarian." : null),
                b -> b.enableAgenticMemory(true));
        Assistant assistant = assistant(provider);
        SessionKey session = SessionKey.of("alice", "s1");

        server.replyText("Nice!");
        assistant.chat(session, "I live in Oslo");
        Run afterRun = storage.lastRuns(session, 1).get(0);
        UserMemory oslo = storage.memories("alice").get(0);
        assertThat(storage.memoryHistory("alice", oslo.memoryId())).singleElement().satisfies(change -> {
            assertThat(change.kind()).isEqualTo(MemoryChange.Kind.ADDED);
            assertThat(change.newMemory()).contains("The user lives in Oslo.");
            assertThat(change.cause()).isEqualTo(MemoryChangeCause.memoryModel("s1", afterRun.runId()));
        });

        server.replyToolCalls(ToolCallSpec.of("m1", "update_user_memory",
                "{\"task\": \"Remember that the user is vegetarian\"}"));
        server.replyText("Noted.");
        assistant.chat(session, "Note that I am vegetarian, please");
        Run toolRun = storage.lastRuns(session, 1).get(0);
        UserMemory vegetarian = storage.memories("alice").stream()
                .filter(m -> m.memory().equals("The user is vegetarian.")).findFirst().orElseThrow();
        assertThat(storage.memoryHistory("alice", vegetarian.memoryId())).first().extracting(MemoryChange::cause)
                .isEqualTo(MemoryChangeCause.agenticTool("s1", toolRun.runId()));

        provider.memoryManager().orElseThrow().updateFromMessage("alice", "Actually I moved, I live in Oslo still");
        storage.deleteMemory("alice", oslo.memoryId());
        assertThat(storage.memoryHistory("alice", oslo.memoryId())).extracting(MemoryChange::kind)
                .containsExactly(MemoryChange.Kind.ADDED, MemoryChange.Kind.DELETED);
        assertThat(storage.memoryHistory("alice", oslo.memoryId()).get(1).cause())
                .isEqualTo(MemoryChangeCause.application());
        assertThat(storage.memories("alice")).filteredOn(m -> m.memory().equals("The user lives in Oslo."))
                .singleElement().satisfies(m -> assertThat(storage.memoryHistory("alice", m.memoryId()))
                        .singleElement().extracting(MemoryChange::cause).isEqualTo(MemoryChangeCause.application()));
    }

    @Test
    void memoriesScopedToAnAgentAreNeitherShownToNorChangedByAnother() {
        ScriptedChatModel travelModel = memoryModel(said -> said.contains("window") ? "Prefers window seats." : null);
        ScriptedChatModel cookingModel = memoryModel(said -> said.contains("vegetarian") ? "Is vegetarian." : null);
        Assistant travel = assistant(provider(travelModel, b -> b.agentId("travel").memoryScope(MemoryScope.AGENT)));
        Assistant cooking = assistant(provider(cookingModel,
                b -> b.agentId("cooking").memoryScope(MemoryScope.AGENT)));
        Assistant anyAgent = assistant(provider(memoryModel(said -> null), b -> b.agentId("concierge")));

        server.replyText("ok");
        travel.chat(SessionKey.of("alice", "trip"), "I always want a window seat");
        server.replyText("ok");
        cooking.chat(SessionKey.of("alice", "dinner"), "Something for dinner? I am vegetarian");
        assertThat(system()).contains(MemoryPromptBlocks.NO_MEMORIES).doesNotContain("window");
        assertThat(memoryModelSaw.get(1)).as("the cooking agent's memory model is not shown travel's memories")
                .contains("(none yet)").doesNotContain("window");

        server.replyText("ok");
        travel.chat(SessionKey.of("alice", "trip"), "Book the flight");
        assertThat(system()).contains("- Prefers window seats.").doesNotContain("vegetarian");
        assertThat(storage.memories("alice")).extracting(m -> m.memory() + "@" + m.agentId().orElse("-"))
                .containsExactlyInAnyOrder("Prefers window seats.@travel", "Is vegetarian.@cooking");

        server.replyText("ok");
        anyAgent.chat(SessionKey.of("alice", "desk"), "Hello");
        assertThat(system()).as("scoped by user (the default): all of the user's memories")
                .contains("- Prefers window seats.", "- Is vegetarian.");

        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).memoryScope(MemoryScope.AGENT)
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("agentId");
    }
}
