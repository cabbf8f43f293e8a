package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ScriptedChatModel;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The incremental summarizer with a scripted model, on a real store file. */
class SessionSummarizerTest {

    @RegisterExtension
    final TempStorage temp = new TempStorage();

    private MapDbStorage storage;
    private static final SessionKey KEY = SessionKey.of("alice", "s1");

    @BeforeEach
    void open() {
        storage = temp.storage();
        storage.getOrCreateSession(KEY, null);
    }

    private void addRun(int i) {
        storage.appendMessage(KEY, "r" + i, Message.user("question " + i + " " + "q".repeat(3_000)));
        storage.appendMessage(KEY, "r" + i, Message.assistant("answer " + i));
        storage.completeRun(KEY, "r" + i);
    }

    private static int inputSize(ChatRequest request) {
        int n = 0;
        for (ChatMessage m : request.messages()) {
            n += m instanceof UserMessage u ? u.singleText().length() : ((SystemMessage) m).text().length();
        }
        return n;
    }

    @Test
    void inputStaysBoundedOver200RunsAndEachCallSeesOnlyNewRuns() {
        ScriptedChatModel model = new ScriptedChatModel(false);
        SessionSummarizer summarizer = SessionSummarizer.builder().chatModel(model).storage(storage).build();
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            addRun(i);
            int run = i;
            model.reply(req -> "{\"summary\": \"Summary after run " + run + ". " + "s".repeat(300)
                    + "\", \"topics\": [\"t" + run + "\"]}");
            SessionSummary summary = summarizer.update(KEY).orElseThrow();
            assertThat(summary.lastRunSequence()).isEqualTo(i);
            ChatRequest request = model.requests().get(i);
            String input = ((UserMessage) request.messages().get(1)).singleText();
            assertThat(input).contains("question " + i).doesNotContain("question " + (i - 1) + " ");
            if (i > 0) {
                assertThat(input).contains("Summary after run " + (i - 1));
            }
            sizes.add(inputSize(request));
        }
        int max = sizes.stream().mapToInt(Integer::intValue).max().orElseThrow();
        assertThat(max).as("largest summarizer input over 200 runs").isLessThan(5_000);
        assertThat(sizes.get(199)).isLessThanOrEqualTo(sizes.get(1) + 50);
        assertThat(storage.summary(KEY).orElseThrow().summary()).startsWith("Summary after run 199");
        assertThat(summarizer.update(KEY)).isEmpty(); // nothing new: no model call
        assertThat(model.requests()).hasSize(200);
    }

    @Test
    void catchesUpInBoundedChunks() {
        for (int i = 0; i < 25; i++) {
            addRun(i);
        }
        ScriptedChatModel model = new ScriptedChatModel(true);
        for (int c = 0; c < 3; c++) {
            int chunk = c;
            model.reply(req -> "{\"summary\": \"chunk " + chunk + "\", \"topics\": []}");
        }
        SessionSummarizer summarizer = SessionSummarizer.builder().chatModel(model).storage(storage).maxRunsPerCall(10)
                .build();
        assertThat(summarizer.update(KEY).orElseThrow().lastRunSequence()).isEqualTo(24);
        assertThat(model.requests()).hasSize(3);
        assertThat(((UserMessage) model.requests().get(2).messages().get(1)).singleText()).contains("chunk 1")
                .contains("question 20").doesNotContain("question 19 ");
        assertThat(storage.summary(KEY).orElseThrow().summary()).isEqualTo("chunk 2");
    }

    @Test
    void malformedOutputKeepsThePreviousSummary() {
        addRun(0);
        ScriptedChatModel model = new ScriptedChatModel(false)
                .reply("{\"summary\": \"first\", \"topics\": [\"a\"]}")
                .reply("not json").reply("{\"summary\": 42}");
        SessionSummarizer summarizer = SessionSummarizer.builder().chatModel(model).storage(storage).build();
        summarizer.update(KEY);
        addRun(1);
        assertThatThrownBy(() -> summarizer.update(KEY)).isInstanceOf(MalformedModelOutputException.class);
        assertThat(storage.summary(KEY).orElseThrow().summary()).isEqualTo("first");
        assertThat(storage.summary(KEY).orElseThrow().lastRunSequence()).isZero();
    }
}
