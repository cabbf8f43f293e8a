package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.langchain4j.testing.CapturedLogs;
import dev.agnomemory.langchain4j.testing.ScriptedChatModel;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The memory work after runs: never dropped, caught up after failures and restarts, one user at a time. */
class AfterRunWorkTest {

    interface Assistant {
        String chat(@MemoryId SessionKey session, @dev.langchain4j.service.UserMessage String message);
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
    private final List<AgnoChatMemoryProvider> providers = new ArrayList<>();
    /** What the memory model was shown (its last message), in order. */
    private final List<String> shown = new ArrayList<>();
    private ScriptedChatModel memoryModel;

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
        memoryModel = new ScriptedChatModel(false);
    }

    @AfterEach
    void closeProviders() {
        providers.forEach(AgnoChatMemoryProvider::close);
    }

    private Assistant assistant(Consumer<AgnoChatMemoryProvider.Builder> options) {
        AgnoChatMemoryProvider.Builder b = AgnoChatMemoryProvider.builder().storage(storage).memoryModel(memoryModel)
                .createUserMemories(true);
        options.accept(b);
        AgnoChatMemoryProvider provider = b.build();
        providers.add(provider);
        return provider.attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel()).build();
    }

    private void chat(Assistant assistant, String message) {
        server.replyText("ok");
        assistant.chat(ALICE, message);
    }

    /** The memory model's next answer: one memory per "I ..." sentence it is shown, or a failure. */
    private void memoryModelAnswers(Function<String, String> answer) {
        memoryModel.reply((ChatRequest request) -> {
            String said = ((UserMessage) request.messages().get(request.messages().size() - 1)).singleText();
            shown.add(said);
            return answer.apply(said);
        });
    }

    private static String remember(String... facts) {
        List<String> ops = new ArrayList<>();
        for (String f : facts) {
            ops.add("{\"action\": \"add\", \"memory\": \"" + f + "\", \"topics\": []}");
        }
        return "{\"worth_remembering\": true, \"operations\": [" + String.join(", ", ops) + "]}";
    }

    @Test
    void afterCloseTheWorkRunsOnTheCallersThreadInsteadOfBeingDropped() {
        Assistant assistant = assistant(b -> b.afterRunInBackground(4));
        providers.get(0).close();
        memoryModelAnswers(said -> remember("The user lives in Oslo."));
        chat(assistant, "I live in Oslo");
        assertThat(storage.memories("alice")).extracting(UserMemory::memory).containsExactly("The user lives in Oslo.");
        assertThat(logs.linesWith("The memory provider is closed; after-run memory work")).hasSize(1);
        memoryModelAnswers(said -> remember("The user has a cat."));
        chat(assistant, "I have a cat");
        assertThat(logs.linesWith("The memory provider is closed")).as("warned once").hasSize(1);
        assertThat(storage.memories("alice")).hasSize(2);
    }

    @Test
    void aFailedExtractionIsCaughtUpAfterTheNextRun() {
        Assistant assistant = assistant(b -> { });
        memoryModelAnswers(said -> {
            throw new IllegalStateException("memory model is down");
        });
        chat(assistant, "I live in Oslo");
        assertThat(storage.memories("alice")).isEmpty();
        assertThat(logs.linesWith("Updating the memories of user alice after run")).hasSize(1);
        assertThat(logs.linesWith("memory model is down")).isNotEmpty();
        assertThat(logs.hasStackTrace()).isTrue();

        memoryModelAnswers(said -> remember("The user lives in Oslo.", "The user has a cat."));
        chat(assistant, "I have a cat");
        assertThat(shown.get(1)).contains("I live in Oslo", "I have a cat");
        assertThat(storage.memories("alice")).extracting(UserMemory::memory)
                .containsExactly("The user lives in Oslo.", "The user has a cat.");
        List<Run> runs = storage.runs(ALICE).toList();
        assertThat(storage.session(ALICE).orElseThrow().data()).containsEntry(AfterRunWork.MEMORIES_CURSOR_KEY, "1");
        // recorded as the memory model's change after the run that caught up
        String id = storage.memories("alice").get(0).memoryId();
        assertThat(storage.memoryHistory("alice", id)).singleElement().extracting(MemoryChange::cause)
                .isEqualTo(MemoryChangeCause.memoryModel("s1", runs.get(1).runId()));

        memoryModelAnswers(said -> remember());
        chat(assistant, "Nice weather");
        assertThat(shown.get(2)).contains("<user_message>\nNice weather\n</user_message>")
                .doesNotContain("I live in Oslo", "I have a cat");
    }

    @Test
    void aRunNotExaminedBeforeARestartIsExaminedAfterIt() {
        Assistant before = assistant(b -> { });
        memoryModelAnswers(said -> "not json at all");
        memoryModelAnswers(said -> "still not json");
        chat(before, "I live in Oslo");
        assertThat(logs.linesWith("was unusable")).hasSize(1);
        assertThat(logs.hasStackTrace()).as("an unusable answer is not a bug: no stack trace").isFalse();

        storage = store.reopen();
        Assistant after = assistant(b -> { });
        memoryModelAnswers(said -> remember("The user lives in Oslo.", "The user is a nurse."));
        chat(after, "I am a nurse");
        assertThat(shown.get(2)).contains("I live in Oslo", "I am a nurse");
        assertThat(storage.memories("alice")).hasSize(2);
    }

    @Test
    void memoryWorkForOneUserWaitsForTheOtherWhileOtherUsersGoOn() throws Exception {
        memoryModel = new ScriptedChatModel(false);
        memoryModelAnswers(said -> remember("Fact."));
        memoryModelAnswers(said -> remember("Bob fact."));
        MemoryManager manager = MemoryManager.builder().chatModel(memoryModel).storage(storage).build();
        MemoryManager otherManager = MemoryManager.builder().chatModel(memoryModel).storage(storage).build();
        Thread alice = new Thread(() -> otherManager.updateFromMessage("alice", "I live in Oslo"));
        Thread bob = new Thread(() -> manager.updateFromMessage("bob", "I am Bob"));
        UserLocks.withUser(storage, "alice", () -> {
            alice.start();
            bob.start();
            while (alice.getState() == Thread.State.NEW || alice.getState() == Thread.State.RUNNABLE) {
                Thread.onSpinWait();
            }
            assertThat(alice.getState()).as("parked until alice's memory work is done").isEqualTo(
                    Thread.State.WAITING);
            join(bob);
            assertThat(storage.memories("bob")).hasSize(1);
            assertThat(storage.memories("alice")).isEmpty();
            return null;
        });
        alice.join();
        assertThat(storage.memories("alice")).hasSize(1);
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
