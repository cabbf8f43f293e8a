package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.langchain4j.testing.CapturedLogs;
import dev.agnomemory.langchain4j.testing.CountingStorage;
import dev.agnomemory.langchain4j.testing.EmbeddingModels;
import dev.agnomemory.langchain4j.testing.EmbeddingModels.CountingEmbeddingModel;
import dev.agnomemory.langchain4j.testing.EmbeddingModels.HashEmbeddingModel;
import dev.agnomemory.langchain4j.testing.RecordedMessage;
import dev.agnomemory.langchain4j.testing.RecordedRequest;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.StorageFixture;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.UserMessage;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The memory is a cache of storage, checked at the start of every call: other providers, services, deletions
 * and memories saved behind its back are seen at the next call. Through the real AiServices and OpenAI models.
 */
class StorageIsTheSourceOfTruthTest {

    private static final String SYSTEM = "You are a test assistant.";
    private static final SessionKey ALICE = SessionKey.of("alice", "s1");
    private static final SessionKey BOB = SessionKey.of("bob", "s1");

    interface Blocking {
        @SystemMessage(SYSTEM)
        String chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    interface Streaming {
        @SystemMessage(SYSTEM)
        TokenStream chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    @RegisterExtension
    final StorageFixture store = fixture();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();
    @RegisterExtension
    final CapturedLogs logs = new CapturedLogs();

    private ScriptedOpenAiServer server;
    private MemoryStorage storage;

    /** The storage the tests run on: a MapDB file here, PostgreSQL in {@link StorageIsTheSourceOfTruthOnPostgresTest}. */
    StorageFixture fixture() {
        return new TempStorage();
    }

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
    }

    private Blocking blocking(MemoryStorage on, Consumer<AgnoChatMemoryProvider.Builder> options, Object... tools) {
        AgnoChatMemoryProvider.Builder b = AgnoChatMemoryProvider.builder().storage(on).numHistoryResponses(10);
        options.accept(b);
        AiServices<Blocking> services = b.build().attachTo(AiServices.builder(Blocking.class))
                .chatModel(openAi.chatModel());
        if (tools.length > 0) {
            services.tools(tools);
        }
        return services.build();
    }

    private String chat(Blocking service, SessionKey key, String message) {
        server.replyText("re: " + message);
        return service.chat(key, message);
    }

    private static List<String> userTexts(RecordedRequest request) {
        return request.messages("user").stream().map(RecordedMessage::content).toList();
    }

    private static String system(RecordedRequest request) {
        return request.messages().get(0).content();
    }

    @Test
    void aBlockingAndAStreamingServiceWithTheirOwnProvidersOnOneStorageSeeEachOthersRuns() throws Exception {
        Blocking blocking = blocking(storage, b -> { });
        Streaming streaming = AgnoChatMemoryProvider.builder().storage(storage).numHistoryResponses(10).build()
                .attachTo(AiServices.builder(Streaming.class)).streamingChatModel(openAi.streamingChatModel())
                .build();

        chat(blocking, ALICE, "one, blocking");
        server.replyText("re: two");
        CompletableFuture<ChatResponse> two = new CompletableFuture<>();
        streaming.chat(ALICE, "two, streamed").onPartialResponse(t -> { }).onCompleteResponse(two::complete)
                .onError(two::completeExceptionally).start();
        two.get(1, TimeUnit.MINUTES);
        assertThat(userTexts(server.lastRequest())).containsExactly("one, blocking", "two, streamed");

        chat(blocking, ALICE, "three, blocking");
        assertThat(userTexts(server.lastRequest())).containsExactly("one, blocking", "two, streamed",
                "three, blocking");
        assertThat(server.lastRequest().messages()).extracting(RecordedMessage::content)
                .contains("re: two", "re: one, blocking");
    }

    @Test
    void aSessionDeletedFromStorageStartsAfreshAtTheNextCall() {
        Blocking assistant = blocking(storage, b -> { });
        chat(assistant, ALICE, "my secret is 42");
        assertThat(storage.deleteSession(ALICE)).isTrue();

        assertThat(chat(assistant, ALICE, "hello again")).isEqualTo("re: hello again");
        assertThat(userTexts(server.lastRequest())).containsExactly("hello again");
        assertThat(server.lastRequest().messages()).extracting(RecordedMessage::content)
                .doesNotContain("my secret is 42");
        assertThat(storage.runs(ALICE).toList()).singleElement()
                .satisfies(run -> assertThat(run.messages().get(0).content()).isEqualTo("hello again"));
        assertThat(logs.linesWith("was deleted from storage; its memory starts afresh")).hasSize(1)
                .allSatisfy(line -> assertThat(line).contains("DEBUG"));
        assertThat(logs.hasStackTrace()).isFalse();
    }

    /** Deletes the caller's session in the middle of the call, as an application might. */
    final class Forgetter {
        @Tool("Forgets the conversation")
        String forget() {
            storage.deleteSession(ALICE);
            return "forgotten";
        }
    }

    @Test
    void aSessionDeletedDuringACallIsCreatedAgainForTheRestOfTheRun() {
        Blocking assistant = blocking(storage, b -> { }, new Forgetter());
        chat(assistant, ALICE, "before");
        server.replyToolCalls(ToolCallSpec.of("c1", "forget", "{}"));
        server.replyText("done");
        assertThat(assistant.chat(ALICE, "forget everything")).isEqualTo("done");

        List<Run> runs = storage.runs(ALICE).toList();
        assertThat(runs).singleElement().satisfies(run -> assertThat(run.messages()).extracting(m -> m.content())
                .containsExactly("forgotten", "done"));
        chat(assistant, ALICE, "after");
        // the rest of the deleted run starts with a tool result: never sent again
        assertThat(userTexts(server.lastRequest())).containsExactly("after");
    }

    @Test
    void memoriesSavedThroughTheStorageAreInTheNextPrompt() {
        Blocking assistant = blocking(storage, b -> b.createUserMemories(true).updateUserMemoriesAfterRun(false)
                .memoryRetrieval(MemoryRetrieval.SEMANTIC).numMemories(10)
                .embeddingModel(new HashEmbeddingModel("hash")));
        storage.saveMemory(memory("alice", "m1", "Alice likes green tea.", 1));
        chat(assistant, ALICE, "hi");
        assertThat(system(server.lastRequest())).contains("- Alice likes green tea.").doesNotContain("Bergen");

        storage.saveMemory(memory("alice", "m2", "Alice lives in Bergen.", 2));
        chat(assistant, ALICE, "hi again");
        assertThat(system(server.lastRequest())).contains("- Alice likes green tea.", "- Alice lives in Bergen.");

        storage.deleteMemory("alice", "m1");
        chat(assistant, ALICE, "and now?");
        assertThat(system(server.lastRequest())).contains("- Alice lives in Bergen.").doesNotContain("green tea");
    }

    private static UserMemory memory(String user, String id, String text, int second) {
        Instant at = Instant.parse("2025-01-01T00:00:00Z").plusSeconds(second);
        return new UserMemory(id, user, text, List.of(), null, at, at);
    }

    private static final String PETS = "Emma has a golden retriever named Biscuit.";
    private static final String WORK = "Emma works as a data engineer at a logistics company.";
    private static final String FOOD = "Emma loves spicy Thai curry.";

    private void emmasMemories() {
        storage.saveMemory(memory("emma", "pets", PETS, 1));
        storage.saveMemory(memory("emma", "work", WORK, 2));
        storage.saveMemory(memory("emma", "food", FOOD, 3));
    }

    @Test
    void semanticRetrievalRanksByTheCurrentMessage() {
        emmasMemories();
        Blocking assistant = blocking(storage, b -> b.createUserMemories(true).updateUserMemoriesAfterRun(false)
                .memoryRetrieval(MemoryRetrieval.SEMANTIC).numMemories(1)
                .embeddingModel(EmbeddingModels.miniLm()));
        SessionKey emma = SessionKey.of("emma", "s1");
        chat(assistant, emma, "What pets does she have?");
        assertThat(system(server.lastRequest())).contains(PETS).doesNotContain(WORK, FOOD);
        chat(assistant, emma, "Where does she work?");
        assertThat(system(server.lastRequest())).contains(WORK).doesNotContain(PETS, FOOD);
    }

    @Test
    void withoutListenersSemanticRetrievalUsesTheNewestMemoriesNeverThePreviousMessage() {
        emmasMemories();
        AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder().storage(storage).createUserMemories(true)
                .updateUserMemoriesAfterRun(false).memoryRetrieval(MemoryRetrieval.SEMANTIC).numMemories(1)
                .embeddingModel(EmbeddingModels.miniLm()).build();
        Blocking assistant = AiServices.builder(Blocking.class).chatModel(openAi.chatModel())
                .chatMemoryProvider(memory).build();
        SessionKey emma = SessionKey.of("emma", "s1");
        chat(assistant, emma, "What pets does she have?");
        assertThat(system(server.lastRequest())).contains(FOOD).doesNotContain(PETS);
        chat(assistant, emma, "Where does she work?");
        assertThat(system(server.lastRequest())).as("not ranked by the previous message (pets)")
                .contains(FOOD).doesNotContain(PETS);
        assertThat(logs.linesWith("Semantic memory retrieval cannot see the current user message")).hasSize(1);
    }

    @Test
    void oneUsersMemoriesChangingDoesNotRecomposeAnotherUsersPrompt() {
        CountingStorage counting = new CountingStorage(storage);
        Blocking assistant = blocking(counting.storage(), b -> b.createUserMemories(true)
                .updateUserMemoriesAfterRun(false));
        storage.saveMemory(memory("bob", "b1", "Bob is a pilot.", 1));
        chat(assistant, BOB, "hi");
        chat(assistant, BOB, "hi again");
        storage.saveMemory(memory("alice", "a1", "Alice is a nurse.", 2));
        counting.reset();
        chat(assistant, BOB, "still there?");
        assertThat(counting.count("memories(bob)")).as("Bob's memories are not read again").isZero();

        storage.saveMemory(memory("bob", "b2", "Bob flies to Oslo on Mondays.", 3));
        chat(assistant, BOB, "and now?");
        assertThat(counting.count("memories(bob)")).isOne();
        assertThat(system(server.lastRequest())).contains("- Bob flies to Oslo on Mondays.")
                .doesNotContain("Alice");
    }

    @Test
    void anEmbeddingModelThatFailsIsLoggedAndTheCallGoesOnWithTheNewestMemories() {
        emmasMemories();
        CountingEmbeddingModel flaky = new CountingEmbeddingModel(new HashEmbeddingModel("hash"));
        Blocking assistant = blocking(storage, b -> b.createUserMemories(true).updateUserMemoriesAfterRun(false)
                .memoryRetrieval(MemoryRetrieval.SEMANTIC).numMemories(1).embeddingModel(flaky));
        flaky.failing(true);
        SessionKey emma = SessionKey.of("emma", "s1");
        assertThat(chat(assistant, emma, "What pets does she have?")).isEqualTo("re: What pets does she have?");
        assertThat(system(server.lastRequest())).contains(FOOD);
        assertThat(logs.linesWith("Retrieving the memories of user emma failed; the newest 1 are used")).hasSize(1);
        assertThat(logs.linesWith("the embedding service is down")).hasSize(1); // the cause, with its stack trace
        assertThat(logs.hasStackTrace()).isTrue();

        flaky.failing(false);
        chat(assistant, emma, "Where does she work?");
        assertThat(flaky.texts()).contains("Where does she work?"); // ranked again once the model is back
        assertThat(logs.linesWith("Retrieving the memories of user emma failed")).hasSize(1);
    }
}
