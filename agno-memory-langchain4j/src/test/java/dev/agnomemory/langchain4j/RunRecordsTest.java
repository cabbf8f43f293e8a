package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer.Usage;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.UserMessage;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Each run records its status and what it cost (Agno's {@code RunOutput.status} and {@code RunMetrics}), from
 * LangChain4j's own events and {@code ChatResponse} metadata: the figures are the ones the scripted server's
 * {@code usage} blocks reported, summed over the run's model calls.
 */
class RunRecordsTest {

    interface Assistant {
        String chat(@MemoryId SessionKey session, @UserMessage String message);

        TokenStream stream(@MemoryId SessionKey session, @UserMessage String message);
    }

    static final class Calculator {
        @Tool("Adds two numbers")
        int add(int a, int b) {
            return a + b;
        }
    }

    private static final SessionKey ALICE = SessionKey.of("alice", "s1");

    @RegisterExtension
    final TempStorage store = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();

    private ScriptedOpenAiServer server;
    private MemoryStorage storage;
    private Assistant assistant;

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
        assistant = AgnoChatMemoryProvider.builder().storage(storage).build()
                .attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel())
                .streamingChatModel(openAi.streamingChatModel()).tools(new Calculator()).build();
    }

    private static RunMetrics expected(List<Usage> usages, int toolCalls, String finishReason) {
        Usage sum = usages.stream().reduce(new Usage(0, 0, 0), Usage::plus);
        return new RunMetrics(Optional.of(ScriptedOpenAi.MODEL), sum.promptTokens(), sum.completionTokens(),
                sum.totalTokens(), usages.size(), toolCalls, Optional.ofNullable(finishReason));
    }

    @Test
    void aCompletedRunRecordsTheUsageOfAllItsModelCallsAndItsToolCalls() {
        server.replyToolCalls(ToolCallSpec.of("c1", "add", "{\"a\":2,\"b\":3}"),
                ToolCallSpec.of("c2", "add", "{\"a\":4,\"b\":5}"));
        server.replyText("5 and 9");
        assistant.chat(ALICE, "2+3 and 4+5?");

        Run run = storage.lastRuns(ALICE, 1).get(0);
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(server.usages()).hasSize(2);
        assertThat(run.metrics()).isEqualTo(expected(server.usages(), 2, "STOP"));
        assertThat(run.metrics().inputTokens()).isPositive();
        assertThat(run.finishedAt()).isPresent();
        assertThat(run.duration()).hasValueSatisfying(d -> assertThat(d.isNegative()).isFalse());
        assertThat(run.error()).isEmpty();

        server.replyText("hello");
        assistant.chat(ALICE, "hi");
        // the session's totals are the sum of its runs
        RunMetrics both = storage.runs(ALICE).map(Run::metrics).reduce(RunMetrics.NONE, RunMetrics::plus);
        assertThat(storage.session(ALICE).orElseThrow().metrics()).isEqualTo(both);
        assertThat(both.modelCalls()).isEqualTo(3);
        assertThat(both.toolCalls()).isEqualTo(2);
    }

    @Test
    void aStreamedRunRecordsTheUsageChunk() throws Exception {
        server.replyText("a streamed answer");
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        assistant.stream(ALICE, "stream please").onPartialResponse(t -> { }).onCompleteResponse(done::complete)
                .onError(done::completeExceptionally).start();
        done.get(1, TimeUnit.MINUTES);

        Run run = storage.lastRuns(ALICE, 1).get(0);
        assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
        assertThat(server.usages()).singleElement();
        assertThat(run.metrics()).isEqualTo(expected(server.usages(), 0, "STOP"));
    }

    @Test
    void aFailedRunRecordsTheErrorAndWhatItCostUntilThen() {
        server.replyToolCalls(ToolCallSpec.of("c1", "add", "{\"a\":1,\"b\":1}"));
        server.replyRaw(500, "{\"error\":{\"message\":\"the model is overloaded\",\"type\":\"server_error\"}}");
        assertThatThrownBy(() -> assistant.chat(ALICE, "1+1?")).isNotNull();

        Run run = storage.lastRuns(ALICE, 1).get(0);
        assertThat(run.status()).isEqualTo(RunStatus.ERROR);
        assertThat(run.error()).hasValueSatisfying(e -> assertThat(e).contains("the model is overloaded")
                .doesNotContain("\n"));
        assertThat(run.metrics()).isEqualTo(expected(server.usages(), 1, "TOOL_EXECUTION"));
        assertThat(storage.lastCompletedRuns(ALICE, 5)).as("not in the prompt's history").isEmpty();
    }
}
