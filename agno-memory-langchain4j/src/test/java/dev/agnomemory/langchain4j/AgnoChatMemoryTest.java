package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.testing.CountingStorage;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The run-aware memory on its own, without a model. */
class AgnoChatMemoryTest {

    @RegisterExtension
    final TempStorage temp = new TempStorage();

    private MapDbStorage storage;

    @BeforeEach
    void open() {
        storage = temp.storage();
    }

    private AgnoChatMemory memory(int n) {
        return AgnoChatMemory.builder().storage(storage).userId("alice").sessionId("s1").numHistoryResponses(n)
                .build();
    }

    private static void exchange(AgnoChatMemory memory, String q, String a) {
        memory.add(UserMessage.from(q));
        memory.add(AiMessage.from(a));
    }

    @Test
    void promptIsSystemThenLastNRunsThenTheCurrentRun() {
        AgnoChatMemory memory = memory(2);
        memory.add(SystemMessage.from("sys"));
        exchange(memory, "q1", "a1");
        exchange(memory, "q2", "a2");
        exchange(memory, "q3", "a3");
        ToolExecutionRequest call = ToolExecutionRequest.builder().id("c").name("t").arguments("{}").build();
        memory.add(UserMessage.from("q4"));
        memory.add(AiMessage.from(call));
        memory.add(ToolExecutionResultMessage.from(call, "r"));

        assertThat(memory.messages()).containsExactly(SystemMessage.from("sys"), UserMessage.from("q2"),
                AiMessage.from("a2"), UserMessage.from("q3"), AiMessage.from("a3"), UserMessage.from("q4"),
                AiMessage.from(call), ToolExecutionResultMessage.from(call, "r"));
        assertThat(memory.id()).isEqualTo("s1");
        assertThat(memory.sessionKey()).isEqualTo(SessionKey.of("alice", "s1"));
    }

    @Test
    void aNewProcessContinuesWithTheStoredRunsAndSystemMessage() {
        AgnoChatMemory first = memory(3);
        first.add(SystemMessage.from("sys v1"));
        exchange(first, "q1", "a1");
        first.add(UserMessage.from("cut off by a crash"));
        storage = temp.reopen();
        AgnoChatMemory second = memory(3);
        assertThat(second.messages()).containsExactly(SystemMessage.from("sys v1"), UserMessage.from("q1"),
                AiMessage.from("a1"));
        second.add(SystemMessage.from("sys v2"));
        exchange(second, "q2", "a2");
        assertThat(second.messages()).containsExactly(SystemMessage.from("sys v2"), UserMessage.from("q1"),
                AiMessage.from("a1"), UserMessage.from("q2"), AiMessage.from("a2"));
        List<Run> runs = storage.runs(SessionKey.of("alice", "s1")).toList();
        assertThat(runs).extracting(Run::completed).containsExactly(true, false, true);
        assertThat(runs.get(1).messages()).extracting(Message::content).containsExactly("cut off by a crash");
        assertThat(runs).allSatisfy(r -> assertThat(r.messages()).noneMatch(
                m -> m.role() == dev.agnomemory.core.Role.SYSTEM));
    }

    @Test
    void historyCanBeSwitchedOffAndLimitedByTokens() {
        AgnoChatMemory off = AgnoChatMemory.builder().storage(storage).sessionId("off").addHistoryToMessages(false)
                .build();
        exchange(off, "q1", "a1");
        off.add(UserMessage.from("q2"));
        assertThat(off.messages()).containsExactly(UserMessage.from("q2"));

        MemoryStorageChatMemoryStoreTest.WordCounter words = new MemoryStorageChatMemoryStoreTest.WordCounter();
        AgnoChatMemory budget = AgnoChatMemory.builder().storage(storage).sessionId("budget").numHistoryResponses(5)
                .maxHistoryTokens(words.estimateTokenCountInMessages(List.of(UserMessage.from("q1"),
                        AiMessage.from("a1"))), words).build();
        exchange(budget, "q1", "a1");
        exchange(budget, "q2", "a2");
        assertThat(budget.messages()).containsExactly(UserMessage.from("q2"), AiMessage.from("a2"));
    }

    @Test
    void theAnswerThatEndsARunIsStoredWithTheRunsEndInOneWrite() {
        CountingStorage counting = new CountingStorage(storage);
        AgnoChatMemory memory = AgnoChatMemory.builder().storage(counting.storage()).userId("alice").sessionId("s1")
                .build();
        ToolExecutionRequest call = ToolExecutionRequest.builder().id("c1").name("clock").arguments("{}").build();
        memory.add(UserMessage.from("what time is it?"));
        memory.add(AiMessage.from(List.of(call)));
        memory.add(ToolExecutionResultMessage.from(call, "12:00"));
        memory.add(AiMessage.from("noon"));

        assertThat(counting.count("appendMessage", 3)).as("user, tool request, tool result").isEqualTo(3);
        assertThat(counting.count("finishRun", 4)).as("the answer with the run's end").isOne();
        assertThat(counting.count("finishRun", 3)).isZero();
        assertThat(counting.count("completeRun", 2)).isZero();
        Run run = storage.lastRuns(SessionKey.of("alice", "s1"), 1).get(0);
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(run.messages()).extracting(Message::content).containsExactly("what time is it?", "", "12:00",
                "noon");
        assertThat(memory.messages()).hasSize(4);
    }

    @Test
    void clearDeletesTheSession() {
        AgnoChatMemory memory = memory(3);
        exchange(memory, "q1", "a1");
        memory.clear();
        assertThat(storage.session(SessionKey.of("alice", "s1"))).isEmpty();
        assertThat(memory.messages()).isEmpty();
        exchange(memory, "again", "fresh");
        assertThat(memory.messages()).hasSize(2);
    }

    @Test
    void providerGivesOneMemoryPerSessionAndKeepsUsersApart() {
        AgnoChatMemoryProvider provider = AgnoChatMemoryProvider.builder().storage(storage).userId("guest").build();
        assertThat(provider.get("s1").sessionKey()).isEqualTo(SessionKey.of("guest", "s1"));
        assertThat(provider.get(1).sessionKey()).isEqualTo(provider.get("1").sessionKey());
        exchange(provider.get(SessionKey.of("alice", "s1")), "alice q", "alice a");
        exchange(provider.get(SessionKey.of("bob", "s1")), "bob q", "bob a");
        assertThat(provider.get(SessionKey.of("bob", "s1")).messages()).containsExactly(UserMessage.from("bob q"),
                AiMessage.from("bob a"));
        assertThatThrownBy(() -> provider.get(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("memoryId");
    }

    @Test
    void buildersValidateWithTheParameterName() {
        assertThatThrownBy(() -> AgnoChatMemory.builder().sessionId("s").build()).hasMessageContaining("storage");
        assertThatThrownBy(() -> AgnoChatMemory.builder().storage(storage).build()).hasMessageContaining("sessionId");
        assertThatThrownBy(() -> AgnoChatMemory.builder().storage(storage).sessionId("s").userId(" ").build())
                .hasMessageContaining("userId");
        assertThatThrownBy(() -> AgnoChatMemory.builder().storage(storage).sessionId("s").numHistoryResponses(0)
                .build()).hasMessageContaining("numHistoryResponses");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().build()).hasMessageContaining("storage");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).agentId("").build())
                .hasMessageContaining("agentId");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage)
                .callWaitLimit(java.time.Duration.ZERO).build()).hasMessageContaining("callWaitLimit");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).numMemories(0).build())
                .hasMessageContaining("numMemories");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).afterRunInBackground(-1).build())
                .hasMessageContaining("queueSize");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).maxHistoryTokens(0, null)
                .build()).hasMessageContaining("maxTokens");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).maxHistoryTokens(10, null)
                .build()).hasMessageContaining("estimator");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).maxCachedSessions(0).build())
                .hasMessageContaining("maxCachedSessions");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage)
                .sessionIdleTime(java.time.Duration.ofSeconds(-1)).build()).hasMessageContaining("sessionIdleTime");
        assertThatThrownBy(() -> AgnoChatMemoryProvider.builder().storage(storage).createUserMemories(true).build())
                .hasMessageContaining("memoryModel");
        assertThatThrownBy(() -> MemoryStorageChatMemoryStore.builder().build()).hasMessageContaining("storage");
    }
}
