package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.testing.CountingStorage;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.memory.chat.TokenWindowChatMemory;
import dev.langchain4j.model.TokenCountEstimator;
import dev.langchain4j.store.memory.chat.InMemoryChatMemoryStore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * LangChain4j's own window memories behave the same on the MapDB store as on the in-memory store, and the store
 * keeps the full history on disk.
 */
class MemoryStorageChatMemoryStoreTest {

    @RegisterExtension
    final TempStorage temp = new TempStorage();

    private MapDbStorage storage;
    private MemoryStorageChatMemoryStore store;

    @BeforeEach
    void open() {
        storage = temp.storage();
        store = MemoryStorageChatMemoryStore.builder().storage(storage).build();
    }

    private void reopen() {
        storage = temp.reopen();
        store = MemoryStorageChatMemoryStore.builder().storage(storage).build();
    }

    /** Runs the same script on a memory over the MapDB store and over LangChain4j's in-memory store. */
    private void assertSameAsInMemory(Function<dev.langchain4j.store.memory.chat.ChatMemoryStore, ChatMemory> memory,
            List<ChatMessage> script) {
        ChatMemory ours = memory.apply(store);
        ChatMemory reference = memory.apply(new InMemoryChatMemoryStore());
        for (ChatMessage m : script) {
            ours.add(m);
            reference.add(m);
            assertThat(ours.messages()).isEqualTo(reference.messages());
        }
    }

    private static List<ChatMessage> conversation(int turns) {
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < turns; i++) {
            out.add(UserMessage.from("question " + i));
            if (i % 3 == 1) {
                ToolExecutionRequest call = ToolExecutionRequest.builder().id("call-" + i).name("lookup")
                        .arguments("{\"q\":" + i + "}").build();
                out.add(AiMessage.from(call));
                out.add(ToolExecutionResultMessage.from(call, "result " + i));
            }
            out.add(AiMessage.from("answer " + i));
        }
        return out;
    }

    @Test
    void messageWindowEvictionMatchesTheInMemoryStore() {
        List<ChatMessage> script = new ArrayList<>();
        script.add(SystemMessage.from("Be brief."));
        script.addAll(conversation(12));
        assertSameAsInMemory(s -> MessageWindowChatMemory.builder().id("w").maxMessages(5).chatMemoryStore(s)
                .build(), script);
    }

    @Test
    void systemMessageReplacementMatchesTheInMemoryStore() {
        List<ChatMessage> script = new ArrayList<>(conversation(3));
        script.add(1, SystemMessage.from("First instructions"));
        script.add(SystemMessage.from("First instructions")); // same again: ignored
        script.add(SystemMessage.from("Second instructions")); // replaces the first
        script.addAll(conversation(2));
        assertSameAsInMemory(s -> MessageWindowChatMemory.builder().id("sys").maxMessages(4).chatMemoryStore(s)
                .build(), script);
        assertSameAsInMemory(s -> MessageWindowChatMemory.builder().id("sys-first").maxMessages(4)
                .alwaysKeepSystemMessageFirst(true).chatMemoryStore(s).build(), script);
    }

    @Test
    void orphanToolResultsAreEvictedAsInMemory() {
        ToolExecutionRequest a = ToolExecutionRequest.builder().id("a").name("t").arguments("{}").build();
        ToolExecutionRequest b = ToolExecutionRequest.builder().id("b").name("t").arguments("{}").build();
        List<ChatMessage> script = List.of(UserMessage.from("go"), AiMessage.from(a, b),
                ToolExecutionResultMessage.from(a, "ra"), ToolExecutionResultMessage.from(b, "rb"),
                AiMessage.from("done"), UserMessage.from("again"), AiMessage.from("ok"));
        assertSameAsInMemory(s -> MessageWindowChatMemory.builder().id("orphans").maxMessages(3).chatMemoryStore(s)
                .build(), script);
        ChatMemory ours = MessageWindowChatMemory.builder().id("orphans").maxMessages(3).chatMemoryStore(store)
                .build();
        assertThat(ours.messages()).noneMatch(ToolExecutionResultMessage.class::isInstance);
    }

    @Test
    void tokenWindowMatchesTheInMemoryStore() {
        TokenCountEstimator words = new WordCounter();
        List<ChatMessage> script = new ArrayList<>();
        script.add(SystemMessage.from("You count words."));
        script.addAll(conversation(10));
        assertSameAsInMemory(s -> TokenWindowChatMemory.builder().id("tokens").maxTokens(20, words)
                .chatMemoryStore(s).build(), script);
    }

    @Test
    void keepsTheFullHistoryOnDiskAndEachMessageOnce() {
        ChatMemory memory = MessageWindowChatMemory.builder().id("full").maxMessages(4).chatMemoryStore(store)
                .build();
        List<ChatMessage> script = conversation(30);
        script.forEach(memory::add);

        SessionKey key = SessionKey.of("default", "full");
        List<Run> runs = storage.runs(key).toList();
        assertThat(runs).hasSize(30);
        assertThat(runs).allMatch(Run::completed);
        List<ChatMessage> stored = runs.stream().flatMap(r -> r.messages().stream())
                .map(ChatMessages::toLangChain4j).toList();
        assertThat(stored).isEqualTo(script);

        reopen();
        ChatMemory again = MessageWindowChatMemory.builder().id("full").maxMessages(4).chatMemoryStore(store).build();
        ChatMemory reference = MessageWindowChatMemory.builder().maxMessages(4)
                .chatMemoryStore(new InMemoryChatMemoryStore()).build();
        script.forEach(reference::add);
        assertThat(again.messages()).isEqualTo(reference.messages()).hasSizeLessThanOrEqualTo(4)
                .endsWith(script.get(script.size() - 1));
    }

    @Test
    void anAnswerIsStoredWithItsRunsCompletionInOneWrite() {
        CountingStorage counting = new CountingStorage(storage);
        MemoryStorageChatMemoryStore counted = MemoryStorageChatMemoryStore.builder().storage(counting.storage())
                .build();
        List<ChatMessage> window = List.of(UserMessage.from("u1"), AiMessage.from("a1"));
        counted.updateMessages("one-write", window);

        assertThat(counting.count("appendMessage", 3)).as("the question").isOne();
        assertThat(counting.count("finishRun", 4)).as("the answer with the run's completion").isOne();
        assertThat(counting.count("completeRun", 2)).isZero();
        List<Run> runs = storage.runs(SessionKey.of("default", "one-write")).toList();
        assertThat(runs).singleElement().satisfies(r -> assertThat(r.completed()).isTrue());
        assertThat(counted.getMessages("one-write")).isEqualTo(window);
    }

    @Test
    void getMessagesReturnsExactlyTheLastUpdateAcrossRestarts() {
        List<ChatMessage> window = List.of(SystemMessage.from("S"), UserMessage.from("u1"), AiMessage.from("a1"));
        store.updateMessages("exact", window);
        assertThat(store.getMessages("exact")).isEqualTo(window);
        List<ChatMessage> smaller = List.of(SystemMessage.from("S"), AiMessage.from("a1"), UserMessage.from("u2"));
        store.updateMessages("exact", smaller);
        reopen();
        assertThat(store.getMessages("exact")).isEqualTo(smaller);
        assertThat(store.getMessages("never-written")).isEmpty();
        store.updateMessages("exact", List.of());
        assertThat(store.getMessages("exact")).isEmpty();
        assertThat(storage.runs(SessionKey.of("default", "exact")).flatMap(r -> r.messages().stream()))
                .hasSize(4);
    }

    @Test
    void memoryIdsOfAnyTypeAndUsersStayApart() {
        store.updateMessages(42, List.of(UserMessage.from("number id")));
        store.updateMessages(java.util.UUID.fromString("00000000-0000-0000-0000-000000000001"),
                List.of(UserMessage.from("uuid id")));
        store.updateMessages(SessionKey.of("alice", "s"), List.of(UserMessage.from("alice's")));
        store.updateMessages(SessionKey.of("bob", "s"), List.of(UserMessage.from("bob's")));
        reopen();
        assertThat(store.getMessages(42)).containsExactly(UserMessage.from("number id"));
        assertThat(store.getMessages("42")).containsExactly(UserMessage.from("number id"));
        assertThat(store.getMessages(SessionKey.of("alice", "s"))).containsExactly(UserMessage.from("alice's"));
        assertThat(store.getMessages(SessionKey.of("bob", "s"))).containsExactly(UserMessage.from("bob's"));
        assertThatThrownBy(() -> store.getMessages(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("memoryId");
        store.deleteMessages(SessionKey.of("bob", "s"));
        assertThat(store.getMessages(SessionKey.of("bob", "s"))).isEmpty();
        assertThat(store.getMessages(SessionKey.of("alice", "s"))).hasSize(1);
    }

    @Test
    void windowIsStoredAsRanges() {
        assertThat(MemoryStorageChatMemoryStore.encode(List.of(new dev.agnomemory.core.MessagePosition(0, 0),
                new dev.agnomemory.core.MessagePosition(3, 1), new dev.agnomemory.core.MessagePosition(3, 2),
                new dev.agnomemory.core.MessagePosition(4, 0)))).isEqualTo("0:0-0,3:1-2,4:0-0");
    }

    /** Counts words: a deterministic estimator for the token window. */
    static final class WordCounter implements TokenCountEstimator {
        @Override
        public int estimateTokenCountInText(String text) {
            return text == null || text.isBlank() ? 0 : text.trim().split("\\s+").length;
        }

        @Override
        public int estimateTokenCountInMessage(ChatMessage message) {
            return 1 + estimateTokenCountInText(message.toString());
        }

        @Override
        public int estimateTokenCountInMessages(Iterable<ChatMessage> messages) {
            int n = 0;
            for (ChatMessage m : messages) {
                n += estimateTokenCountInMessage(m);
            }
            return n;
        }
    }
}
