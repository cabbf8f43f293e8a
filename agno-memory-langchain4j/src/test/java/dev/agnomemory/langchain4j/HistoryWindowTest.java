package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules of what history goes into the prompt. */
class HistoryWindowTest {

    private static List<ChatMessage> run(String q, String a) {
        return List.of(UserMessage.from(q), AiMessage.from(a));
    }

    private static List<List<ChatMessage>> runs(int n) {
        List<List<ChatMessage>> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(run("q" + i, "a" + i));
        }
        return out;
    }

    @Test
    void takesTheLastNRunsWhole() {
        HistoryWindow window = new HistoryWindow(true, 2, 0, null);
        assertThat(window.select(runs(5))).containsExactly(UserMessage.from("q3"), AiMessage.from("a3"),
                UserMessage.from("q4"), AiMessage.from("a4"));
        assertThat(window.select(runs(1))).hasSize(2);
        assertThat(window.select(List.of())).isEmpty();
    }

    @Test
    void historyOffSendsNothing() {
        assertThat(new HistoryWindow(false, 3, 0, null).select(runs(5))).isEmpty();
    }

    @Test
    void leavesOutRunsThatAreNotWhole() {
        ToolExecutionRequest call = ToolExecutionRequest.builder().id("c").name("t").arguments("{}").build();
        List<ChatMessage> startsWithAssistant = List.of(AiMessage.from("orphan answer"));
        List<ChatMessage> unansweredCall = List.of(UserMessage.from("q"), AiMessage.from(call), AiMessage.from("a"));
        List<ChatMessage> orphanResult = List.of(UserMessage.from("q"), ToolExecutionResultMessage.from(call, "r"),
                AiMessage.from("a"));
        List<ChatMessage> whole = List.of(UserMessage.from("q"), AiMessage.from(call),
                ToolExecutionResultMessage.from(call, "r"), AiMessage.from("a"));
        HistoryWindow window = new HistoryWindow(true, 10, 0, null);
        assertThat(window.select(List.of(startsWithAssistant, unansweredCall, orphanResult, whole)))
                .isEqualTo(whole);
        assertThat(HistoryWindow.isWhole(whole)).isTrue();
        assertThat(HistoryWindow.isWhole(unansweredCall)).isFalse();
        assertThat(HistoryWindow.isWhole(orphanResult)).isFalse();
        assertThat(HistoryWindow.isWhole(startsWithAssistant)).isFalse();
    }

    @Test
    void dropsSystemMessagesInsideRuns() {
        List<ChatMessage> withSystem = List.of(SystemMessage.from("old"), UserMessage.from("q"), AiMessage.from("a"));
        assertThat(new HistoryWindow(true, 3, 0, null).select(List.of(withSystem)))
                .containsExactly(UserMessage.from("q"), AiMessage.from("a"));
    }

    @Test
    void tokenBudgetDropsWholeRunsOldestFirst() {
        MemoryStorageChatMemoryStoreTest.WordCounter words = new MemoryStorageChatMemoryStoreTest.WordCounter();
        List<List<ChatMessage>> three = runs(3);
        int perRun = words.estimateTokenCountInMessages(three.get(0));
        HistoryWindow window = new HistoryWindow(true, 3, 2 * perRun, words);
        assertThat(window.select(three)).containsExactly(UserMessage.from("q1"), AiMessage.from("a1"),
                UserMessage.from("q2"), AiMessage.from("a2"));
        assertThat(new HistoryWindow(true, 3, perRun - 1, words).select(three)).isEmpty();
    }

    @Test
    void rejectsBadSettings() {
        assertThatThrownBy(() -> new HistoryWindow(true, 0, 0, null)).hasMessageContaining("numHistoryResponses");
        assertThatThrownBy(() -> new HistoryWindow(true, 3, -1, null)).hasMessageContaining("maxHistoryTokens");
        assertThatThrownBy(() -> new HistoryWindow(true, 3, 100, null)).hasMessageContaining("tokenCountEstimator");
    }
}
