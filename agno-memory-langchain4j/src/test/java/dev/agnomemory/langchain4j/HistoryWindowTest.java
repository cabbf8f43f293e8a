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
        HistoryWindow window = new HistoryWindow(true, 2, 0, 0, 0, null);
        assertThat(window.select(runs(5))).containsExactly(UserMessage.from("q3"), AiMessage.from("a3"),
                UserMessage.from("q4"), AiMessage.from("a4"));
        assertThat(window.select(runs(1))).hasSize(2);
        assertThat(window.select(List.of())).isEmpty();
    }

    @Test
    void historyOffSendsNothing() {
        assertThat(new HistoryWindow(false, 3, 0, 0, 0, null).select(runs(5))).isEmpty();
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
        HistoryWindow window = new HistoryWindow(true, 10, 0, 0, 0, null);
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
        assertThat(new HistoryWindow(true, 3, 0, 0, 0, null).select(List.of(withSystem)))
                .containsExactly(UserMessage.from("q"), AiMessage.from("a"));
    }

    @Test
    void tokenBudgetDropsWholeRunsOldestFirst() {
        MemoryStorageChatMemoryStoreTest.WordCounter words = new MemoryStorageChatMemoryStoreTest.WordCounter();
        List<List<ChatMessage>> three = runs(3);
        int perRun = words.estimateTokenCountInMessages(three.get(0));
        HistoryWindow window = new HistoryWindow(true, 3, 0, 0, 2 * perRun, words);
        assertThat(window.select(three)).containsExactly(UserMessage.from("q1"), AiMessage.from("a1"),
                UserMessage.from("q2"), AiMessage.from("a2"));
        assertThat(new HistoryWindow(true, 3, 0, 0, perRun - 1, words).select(three)).isEmpty();
    }

    @Test
    void rejectsBadSettings() {
        assertThatThrownBy(() -> new HistoryWindow(true, 0, 0, 0, 0, null)).hasMessageContaining("numHistoryResponses");
        assertThatThrownBy(() -> new HistoryWindow(true, 3, -1, 0, 0, null)).hasMessageContaining("numHistoryMessages");
        assertThatThrownBy(() -> new HistoryWindow(true, 3, 0, -1, 0, null))
                .hasMessageContaining("maxToolCallsFromHistory");
        assertThatThrownBy(() -> new HistoryWindow(true, 3, 0, 0, -1, null)).hasMessageContaining("maxHistoryTokens");
        assertThatThrownBy(() -> new HistoryWindow(true, 3, 0, 0, 100, null)).hasMessageContaining("tokenCountEstimator");
    }

    private static ToolExecutionRequest call(String id) {
        return ToolExecutionRequest.builder().id(id).name("lookup").arguments("{}").build();
    }

    /** A run with one tool round trip of {@code ids.length} calls. */
    private static List<ChatMessage> toolRun(String q, String a, String... ids) {
        List<ChatMessage> run = new ArrayList<>();
        run.add(UserMessage.from(q));
        List<ToolExecutionRequest> calls = java.util.Arrays.stream(ids).map(HistoryWindowTest::call).toList();
        run.add(AiMessage.from(calls));
        calls.forEach(c -> run.add(ToolExecutionResultMessage.from(c, "result " + c.id())));
        run.add(AiMessage.from(a));
        return run;
    }

    @Test
    void byMessagesTakesTheLastMessagesButNeverSplitsAToolExchange() {
        List<List<ChatMessage>> history = List.of(run("q0", "a0"), toolRun("q1", "a1", "c1"), run("q2", "a2"));
        HistoryWindow window = new HistoryWindow(true, 3, 4, 0, 0, null);
        // the last 4 messages would start with the tool result of c1: cut to the next user message
        assertThat(window.select(history)).containsExactly(UserMessage.from("q2"), AiMessage.from("a2"));
        HistoryWindow six = new HistoryWindow(true, 3, 6, 0, 0, null);
        assertThat(six.select(history)).containsExactlyElementsOf(concat(toolRun("q1", "a1", "c1"), run("q2", "a2")));
        HistoryWindow three = new HistoryWindow(true, 3, 3, 0, 0, null);
        assertThat(three.select(history)).as("never starts with an assistant message")
                .containsExactly(UserMessage.from("q2"), AiMessage.from("a2"));
        assertThat(window.capacity()).isEqualTo(4);
    }

    @Test
    void maxToolCallsKeepsOnlyTheNewestExchanges() {
        List<List<ChatMessage>> history = List.of(toolRun("q0", "a0", "c0"), toolRun("q1", "a1", "c1a", "c1b"),
                toolRun("q2", "a2", "c2"));
        HistoryWindow window = new HistoryWindow(true, 3, 0, 2, 0, null);
        List<ChatMessage> selected = window.select(history);
        // c2 and c1b are the newest two calls; c1a loses its result and its request, c0 its whole exchange
        assertThat(selected).containsExactly(UserMessage.from("q0"), AiMessage.from("a0"), UserMessage.from("q1"),
                AiMessage.from(List.of(call("c1b"))), ToolExecutionResultMessage.from(call("c1b"), "result c1b"),
                AiMessage.from("a1"), UserMessage.from("q2"), AiMessage.from(List.of(call("c2"))),
                ToolExecutionResultMessage.from(call("c2"), "result c2"), AiMessage.from("a2"));
        assertThat(selected).filteredOn(ToolExecutionResultMessage.class::isInstance).hasSize(2);
    }

    @Test
    void anAssistantMessageWithTextKeepsItsTextWhenItsCallsAreDropped() {
        ToolExecutionRequest c = call("c");
        List<ChatMessage> run = List.of(UserMessage.from("q"), AiMessage.from("Let me look.", List.of(c)),
                ToolExecutionResultMessage.from(c, "r"), AiMessage.from("a"));
        assertThat(HistoryWindow.keepNewestToolCalls(concat(run, toolRun("q2", "a2", "c2")), 1))
                .startsWith(UserMessage.from("q"), AiMessage.from("Let me look."), AiMessage.from("a"));
    }

    private static List<ChatMessage> concat(List<ChatMessage> a, List<ChatMessage> b) {
        List<ChatMessage> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
