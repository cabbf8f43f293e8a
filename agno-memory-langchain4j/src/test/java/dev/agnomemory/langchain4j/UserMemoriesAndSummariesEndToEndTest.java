package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.testing.RecordedRequest;
import dev.agnomemory.langchain4j.testing.ScriptedChatModel;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.UserMessage;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * User memories and session summaries through a real AiServices call: the agent model is the real
 * OpenAiChatModel against the scripted server, the memory model an in-process scripted model.
 */
class UserMemoriesAndSummariesEndToEndTest {

    interface Assistant {
        @dev.langchain4j.service.SystemMessage("You are a test assistant.")
        String chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    /** Answers memory-manager and summarizer requests from two separate queues. */
    static final class MemoryModel {
        final Deque<String> memoryAnswers = new ArrayDeque<>();
        final Deque<String> summaryAnswers = new ArrayDeque<>();
        /** When set, answers every memory request from the request's text instead of the queue. */
        volatile java.util.function.Function<String, String> memoryFunction;
        final ScriptedChatModel model = new ScriptedChatModel(false);

        MemoryModel() {
            for (int i = 0; i < 100; i++) {
                model.reply(this::answer);
            }
        }

        private String answer(ChatRequest request) {
            String system = ((SystemMessage) request.messages().get(0)).text();
            if (!system.contains("running summary") && memoryFunction != null) {
                return memoryFunction.apply(((dev.langchain4j.data.message.UserMessage) request.messages()
                        .get(request.messages().size() - 1)).singleText());
            }
            Deque<String> queue = system.contains("running summary") ? summaryAnswers : memoryAnswers;
            String next = queue.poll();
            if (next == null) {
                return system.contains("running summary") ? "{\"summary\": \"(no scripted summary)\", \"topics\": []}"
                        : "{\"worth_remembering\": false, \"operations\": []}";
            }
            if (next.startsWith("THROW")) {
                throw new IllegalStateException("memory model is down");
            }
            return next;
        }
    }

    private static final SessionKey ALICE_1 = SessionKey.of("alice", "s1");
    private static final SessionKey ALICE_2 = SessionKey.of("alice", "s2");
    private static final SessionKey BOB_1 = SessionKey.of("bob", "s1");

    @RegisterExtension
    final TempStorage temp = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();

    private ScriptedOpenAiServer server;
    private MapDbStorage storage;
    private MemoryModel memoryModel;
    private AgnoChatMemoryProvider provider;
    private Assistant assistant;

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = temp.storage();
        memoryModel = new MemoryModel();
    }

    @AfterEach
    void stop() {
        if (provider != null) {
            provider.close();
        }
    }

    private void build(Consumer<AgnoChatMemoryProvider.Builder> options) {
        AgnoChatMemoryProvider.Builder b = AgnoChatMemoryProvider.builder().storage(storage).numHistoryResponses(2)
                .memoryModel(memoryModel.model);
        options.accept(b);
        provider = b.build();
        assistant = provider.attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel()).build();
    }

    private String chat(SessionKey key, String message) {
        server.replyText("ok: " + message);
        return assistant.chat(key, message);
    }

    private static String systemText(RecordedRequest request) {
        return request.messages().get(0).content();
    }

    private static String add(String memory, String topic) {
        return "{\"worth_remembering\": true, \"operations\": [{\"action\": \"add\", \"memory\": \"" + memory
                + "\", \"topics\": [\"" + topic + "\"]}]}";
    }

    @Test
    void aFactFromSessionOneReachesSessionTwoOfTheSameUserOnly() {
        build(b -> b.createUserMemories(true));
        memoryModel.memoryAnswers.add(add("The user's name is Alice and she loves hiking.", "hobbies"));
        chat(ALICE_1, "My name is Alice and I love hiking");
        assertThat(systemText(server.lastRequest())).startsWith("You are a test assistant.")
                .contains(MemoryPromptBlocks.NO_MEMORIES);
        assertThat(storage.memories("alice")).extracting(UserMemory::memory)
                .containsExactly("The user's name is Alice and she loves hiking.");

        chat(ALICE_2, "Any ideas for the weekend?");
        assertThat(systemText(server.lastRequest())).contains("<memories_from_previous_interactions>\n"
                + "- The user's name is Alice and she loves hiking.\n</memories_from_previous_interactions>")
                .contains("You should always prefer information from this conversation over the past memories.");

        chat(BOB_1, "Any ideas for the weekend?");
        assertThat(systemText(server.lastRequest())).contains(MemoryPromptBlocks.NO_MEMORIES).doesNotContain("Alice");
    }

    @Test
    void anUpdateReplacesAMemoryAndADeleteRemovesIt() {
        build(b -> b.createUserMemories(true));
        memoryModel.memoryAnswers.add(add("The user lives in Oslo.", "location"));
        chat(ALICE_1, "I live in Oslo");
        String id = storage.memories("alice").get(0).memoryId();

        memoryModel.memoryAnswers.add("{\"worth_remembering\": true, \"operations\": [{\"action\": \"update\", "
                + "\"memory_id\": \"" + id + "\", \"memory\": \"The user lives in Bergen.\", \"topics\": []}]}");
        chat(ALICE_1, "I moved to Bergen");
        chat(ALICE_1, "hello");
        assertThat(systemText(server.lastRequest())).contains("- The user lives in Bergen.").doesNotContain("Oslo");

        memoryModel.memoryAnswers.add("{\"worth_remembering\": true, \"operations\": [{\"action\": \"delete\", "
                + "\"memory_id\": \"" + id + "\"}]}");
        chat(ALICE_1, "Forget where I live");
        chat(ALICE_1, "hello again");
        assertThat(systemText(server.lastRequest())).doesNotContain("Bergen").contains(MemoryPromptBlocks.NO_MEMORIES);
        assertThat(storage.memories("alice")).isEmpty();
    }

    @Test
    void theSummaryEntersThePromptOnceHistoryOutgrowsTheWindow() {
        build(b -> b.createSessionSummary(true));
        for (int i = 1; i <= 3; i++) {
            memoryModel.summaryAnswers.add("{\"summary\": \"Summary after " + i + " runs.\", \"topics\": [\"t\"]}");
            chat(ALICE_1, "message " + i);
            assertThat(systemText(server.lastRequest())).doesNotContain("summary_of_previous_interactions");
        }
        assertThat(storage.summary(ALICE_1).orElseThrow().summary()).isEqualTo("Summary after 3 runs.");
        chat(ALICE_1, "message 4");
        String system = systemText(server.lastRequest());
        assertThat(system).contains("<summary_of_previous_interactions>\nSummary after 3 runs.\nTopics: t\n"
                + "</summary_of_previous_interactions>");
        assertThat(system).contains("You should ALWAYS prefer information from this conversation over the past "
                + "summary.");
        // the window still holds only the last 2 runs; the summary covers what is before it
        assertThat(server.lastRequest().messages("user")).extracting(m -> m.content())
                .containsExactly("message 2", "message 3", "message 4");
    }

    @Test
    void malformedOrFailingMemoryModelNeverFailsTheUsersCall() {
        build(b -> b.createUserMemories(true).createSessionSummary(true));
        memoryModel.memoryAnswers.add("this is not json");
        memoryModel.memoryAnswers.add("{\"operations\": \"also not right\"}");
        memoryModel.summaryAnswers.add("THROW");
        assertThat(chat(ALICE_1, "I love tea")).isEqualTo("ok: I love tea");
        assertThat(storage.memories("alice")).isEmpty();
        assertThat(storage.summary(ALICE_1)).isEmpty();

        memoryModel.memoryAnswers.add(add("The user loves tea.", "food"));
        memoryModel.summaryAnswers.add("{\"summary\": \"Tea talk.\", \"topics\": []}");
        assertThat(chat(ALICE_1, "Really, tea")).isEqualTo("ok: Really, tea");
        assertThat(storage.memories("alice")).extracting(UserMemory::memory).containsExactly("The user loves tea.");
        assertThat(storage.summary(ALICE_1).orElseThrow().lastRunSequence()).isEqualTo(1);
    }

    @Test
    void backgroundWorkDoesNotDelayTheReplyAndCloseFinishesIt() {
        build(b -> b.createUserMemories(true).afterRunInBackground(16));
        // One fact per user message the memory model is shown (the worker may fold several runs into one request).
        memoryModel.memoryFunction = said -> {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("fact (\\d)").matcher(said);
            List<String> ops = new java.util.ArrayList<>();
            while (m.find()) {
                ops.add("{\"action\": \"add\", \"memory\": \"Fact " + m.group(1) + ".\", \"topics\": []}");
            }
            return "{\"worth_remembering\": true, \"operations\": [" + String.join(", ", ops) + "]}";
        };
        for (int i = 0; i < 5; i++) {
            chat(ALICE_1, "fact " + i);
        }
        provider.close();
        assertThat(storage.memories("alice")).extracting(UserMemory::memory)
                .containsExactlyInAnyOrder("Fact 0.", "Fact 1.", "Fact 2.", "Fact 3.", "Fact 4.");
    }

    @Test
    void agenticMemoryToolChangesOnlyTheCallersMemories() {
        build(b -> b.createUserMemories(true).updateUserMemoriesAfterRun(false).enableAgenticMemory(true));
        storage.saveMemory(UserMemory.create("bob", "Bob is a pilot.", List.of(), null));
        memoryModel.memoryAnswers.add(add("The user is vegetarian.", "food"));
        server.replyToolCalls(ToolCallSpec.of("m1", "update_user_memory",
                "{\"task\": \"Remember that the user is vegetarian\"}"));
        server.replyText("Noted!");
        assertThat(assistant.chat(ALICE_1, "I'm vegetarian, remember that")).isEqualTo("Noted!");
        assertThat(server.request(0).tools()).contains("update_user_memory");
        assertThat(server.lastRequest().lastMessage().orElseThrow().content()).contains("Added: The user is vegetarian.");
        assertThat(storage.memories("alice")).extracting(UserMemory::memory).containsExactly("The user is vegetarian.");
        assertThat(storage.memories("bob")).extracting(UserMemory::memory).containsExactly("Bob is a pilot.");
        // no automatic extraction ran: the memory model was asked exactly once (by the tool)
        assertThat(memoryModel.model.requests()).hasSize(1);
    }
}
