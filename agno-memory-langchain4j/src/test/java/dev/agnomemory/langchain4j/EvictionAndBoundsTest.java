package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.langchain4j.testing.CountingStorage;
import dev.agnomemory.langchain4j.testing.EmbeddingModels.HashEmbeddingModel;
import dev.agnomemory.langchain4j.testing.RecordedMessage;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.ScriptedReply;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.memory.ChatMemoryAccess;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every per-session and per-user map is bounded, and eviction (ours and LangChain4j's) drops cached state. */
class EvictionAndBoundsTest {

    interface Assistant extends ChatMemoryAccess {
        String chat(@MemoryId SessionKey session, @dev.langchain4j.service.UserMessage String message);
    }

    private static final SessionKey ALICE = SessionKey.of("alice", "s1");

    @RegisterExtension
    final TempStorage store = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();

    private ScriptedOpenAiServer server;
    private MemoryStorage storage;
    private final AtomicLong nanos = new AtomicLong();

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
    }

    private Assistant assistant(AgnoChatMemoryProvider memory) {
        return memory.attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel()).build();
    }

    private String chat(Assistant assistant, SessionKey key, String message) {
        server.replyText("re: " + message);
        return assistant.chat(key, message);
    }

    @Test
    void evictDropsTheCachedSessionAndTheNextCallReadsItFromStorage() {
        CountingStorage counting = new CountingStorage(storage);
        AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder().storage(counting.storage()).build();
        Assistant assistant = assistant(memory);
        chat(assistant, ALICE, "one");
        chat(assistant, ALICE, "two");
        // a new session has no history to load; after the first call the cache follows its own writes
        assertThat(counting.count("lastCompletedRuns(" + ALICE + ")")).as("never read back").isZero();

        assertThat(memory.evict(ALICE)).isTrue();
        assertThat(memory.windows().holds(ALICE)).isFalse();
        assertThat(memory.evict(ALICE)).as("nothing left to evict").isFalse();
        chat(assistant, ALICE, "three");
        assertThat(counting.count("lastCompletedRuns(" + ALICE + ")")).isOne();
        assertThat(server.lastRequest().messages("user")).extracting(RecordedMessage::content)
                .containsExactly("one", "two", "three");
    }

    @Test
    void langChain4jsEvictChatMemoryDropsTheMemoryAndItsCachedState() {
        CountingStorage counting = new CountingStorage(storage);
        AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder().storage(counting.storage()).build();
        Assistant assistant = assistant(memory);
        chat(assistant, ALICE, "one");
        assertThat(assistant.getChatMemory(ALICE)).isInstanceOf(AgnoChatMemory.class);

        assertThat(assistant.evictChatMemory(ALICE)).isTrue();
        assertThat(assistant.getChatMemory(ALICE)).isNull();
        chat(assistant, ALICE, "two");
        assertThat(counting.count("lastCompletedRuns(" + ALICE + ")")).as("read from storage again").isOne();
        assertThat(server.lastRequest().messages("user")).extracting(RecordedMessage::content)
                .containsExactly("one", "two");
    }

    @Test
    void cachedSessionsAreBoundedBySizeAndIdleTime() {
        AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder().storage(storage).maxCachedSessions(5)
                .sessionIdleTime(Duration.ofMinutes(10)).ticker(nanos::get).build();
        Assistant assistant = assistant(memory);
        for (int i = 0; i < 20; i++) {
            chat(assistant, SessionKey.of("user" + i, "s"), "hello " + i);
        }
        assertThat(memory.windows().size()).isLessThanOrEqualTo(5);

        nanos.addAndGet(TimeUnit.MINUTES.toNanos(11));
        assertThat(memory.windows().size()).isZero();
        // a dropped session is only a cache: it continues from storage
        chat(assistant, SessionKey.of("user3", "s"), "again");
        assertThat(server.lastRequest().messages("user")).extracting(RecordedMessage::content)
                .containsExactly("hello 3", "again");
    }

    @Test
    void everyCallGivesItsTurnBack() throws InterruptedException {
        AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder().storage(storage).build();
        Assistant assistant = assistant(memory);
        for (int i = 0; i < 10; i++) {
            chat(assistant, SessionKey.of("user" + i, "s"), "hello");
        }
        assertThat(memory.coordinator().activeCalls()).isZero();
        for (int i = 0; i < 10; i++) {
            // free at once: one attempt, no waiting
            storage.turns().acquire(SessionKey.of("user" + i, "s"), Duration.ZERO).close();
        }
    }

    @Test
    void theChatMemoryStoresLocksAndWindowsAreBounded() {
        MemoryStorageChatMemoryStore chatStore = MemoryStorageChatMemoryStore.builder().storage(storage)
                .cachedSessions(3).build();
        for (int i = 0; i < 12; i++) {
            MessageWindowChatMemory window = MessageWindowChatMemory.builder().id("session-" + i).maxMessages(10)
                    .chatMemoryStore(chatStore).build();
            window.add(UserMessage.from("hi " + i));
            window.add(AiMessage.from("hello " + i));
        }
        assertThat(chatStore.cachedWindows()).isLessThanOrEqualTo(3);
        assertThat(eventually(chatStore::lockCount)).isZero();
        assertThat(chatStore.getMessages("session-0")).containsExactly(UserMessage.from("hi 0"),
                AiMessage.from("hello 0"));
    }

    @Test
    void theRetrieversVectorsAreBoundedByBytesAndIdleTime() {
        for (int u = 0; u < 6; u++) {
            for (int m = 0; m < 10; m++) {
                storage.saveMemory(UserMemory.create("user" + u, "Fact " + m + " of user " + u, List.of(), null));
            }
        }
        // 10 memories of 64 floats, plus texts: about 3.5 KB per user; 8 KB hold two users
        UserMemoryRetriever retriever = UserMemoryRetriever.builder().storage(storage)
                .retrieval(MemoryRetrieval.SEMANTIC).embeddingModel(new HashEmbeddingModel("hash"))
                .maxCachedBytes(8_000).cacheIdleTime(Duration.ofMinutes(5)).ticker(nanos::get).build();
        for (int u = 0; u < 6; u++) {
            assertThat(retriever.retrieve("user" + u, "facts")).hasSize(5);
        }
        assertThat(retriever.cachedUsers()).isBetween(1L, 2L);
        nanos.addAndGet(TimeUnit.MINUTES.toNanos(6));
        assertThat(retriever.cachedUsers()).isZero();
        assertThat(retriever.retrieve("user0", "facts")).hasSize(5);
    }

    /** Weak values go when the collector runs; collect until they have (or give up after a few tries). */
    private static long eventually(LongSupplier size) {
        long n = size.getAsLong();
        for (int i = 0; i < 20 && n > 0; i++) {
            System.gc();
            n = size.getAsLong();
        }
        return n;
    }

    @Test
    void aCallDoesNotLoseItsRunWhenItsSessionIsEvictedMeanwhile() {
        AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder().storage(storage).maxCachedSessions(1)
                .build();
        Assistant assistant = assistant(memory);
        server.replyWith(request -> {
            memory.evict(ALICE); // evicted while the call is in progress ...
            for (int i = 0; i < 5; i++) {
                memory.window(SessionKey.of("other" + i, "s")); // ... and crowded out
            }
            return ScriptedReply.text("answer");
        });
        assertThat(assistant.chat(ALICE, "question")).isEqualTo("answer");
        assertThat(storage.lastRuns(ALICE, 1).get(0).messages()).extracting(m -> m.content())
                .containsExactly("question", "answer");
        assertThat(memory.windows().holds(ALICE)).as("dropped when the call ended").isFalse();
    }
}
