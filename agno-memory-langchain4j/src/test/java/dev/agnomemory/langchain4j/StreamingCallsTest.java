package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.testing.Eventually;
import dev.agnomemory.langchain4j.testing.RecordedMessage;
import dev.agnomemory.langchain4j.testing.RecordedRequest;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.ScriptedReply;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Streaming calls ({@code TokenStream}) through the real AiServices and the real OpenAiStreamingChatModel against
 * the scripted server: they persist their runs, take the session's turn when the stream starts (not when the
 * method is called), and give it back on completion, error and cancellation.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES) // a broken turn hangs; fail instead
class StreamingCallsTest {

    interface Streaming {
        @SystemMessage("You are a test assistant.")
        TokenStream chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    interface Blocking {
        @SystemMessage("You are a test assistant.")
        String chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    static final class Calculator {
        @Tool("Adds two numbers")
        int add(int a, int b) {
            return a + b;
        }
    }

    private static final SessionKey ALICE = SessionKey.of("alice", "s1");

    @RegisterExtension
    final StorageFixture store = fixture();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();

    private ScriptedOpenAiServer server;
    private MemoryStorage storage;
    private AgnoChatMemoryProvider memory;
    private Streaming streaming;
    private Blocking blocking;

    /** The storage the tests run on: a MapDB file here, PostgreSQL in {@link StreamingCallsOnPostgresTest}. */
    StorageFixture fixture() {
        return new TempStorage();
    }

    @BeforeEach
    void start() {
        server = openAi.server();
        storage = store.storage();
        memory = AgnoChatMemoryProvider.builder().storage(storage).numHistoryResponses(20).build();
        streaming = memory.attachTo(AiServices.builder(Streaming.class))
                .streamingChatModel(openAi.streamingChatModel()).tools(new Calculator()).build();
        blocking = memory.attachTo(AiServices.builder(Blocking.class)).chatModel(openAi.chatModel()).build();
    }

    private static CompletableFuture<ChatResponse> run(TokenStream stream) {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        stream.onPartialResponse(token -> { }).onCompleteResponse(done::complete).onError(done::completeExceptionally)
                .start();
        return done;
    }

    /** Starts a stream whose reader cancels it through its StreamingHandle at the first token. */
    private void startAndCancelAtTheFirstToken() throws InterruptedException {
        CountDownLatch firstToken = new CountDownLatch(1);
        streaming.chat(ALICE, "tell me a story")
                .onPartialResponseWithContext((token, context) -> {
                    context.streamingHandle().cancel();
                    firstToken.countDown();
                })
                .onCompleteResponse(r -> { })
                .onError(e -> { })
                .start();
        assertThat(firstToken.await(1, TimeUnit.MINUTES)).isTrue();
    }

    private static List<String> userTexts(RecordedRequest request) {
        return request.messages("user").stream().map(RecordedMessage::content).toList();
    }

    @Test
    void aStreamedCallWithAToolIsStoredAsOneCompletedRunAndSentAgain() throws Exception {
        server.replyToolCalls(ToolCallSpec.of("call_add", "add", "{\"a\":2,\"b\":3}"));
        server.replyText("It is 5");
        ChatResponse answer = run(streaming.chat(ALICE, "What is 2+3?")).get(1, TimeUnit.MINUTES);
        assertThat(answer.aiMessage().text()).isEqualTo("It is 5");

        List<Run> runs = storage.runs(ALICE).toList();
        assertThat(runs).singleElement().satisfies(run -> {
            assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(run.messages()).extracting(Message::role).containsExactly(dev.agnomemory.core.Role.USER,
                    dev.agnomemory.core.Role.ASSISTANT, dev.agnomemory.core.Role.TOOL,
                    dev.agnomemory.core.Role.ASSISTANT);
            assertThat(run.messages().get(3).content()).isEqualTo("It is 5");
        });

        server.replyText("yes");
        blocking.chat(ALICE, "Are you sure?");
        assertThat(server.lastRequest().messages()).extracting(RecordedMessage::role)
                .containsExactly("system", "user", "assistant", "tool", "assistant", "user");
    }

    @Test
    void concurrentStreamsOnOneSessionTakeTurnsAndEachPromptHoldsTheRunsBeforeIt() throws Exception {
        int calls = 4;
        for (int i = 0; i < calls; i++) {
            server.replyWith(request -> ScriptedReply.text("echo: " + request.lastMessage().orElseThrow().content()));
        }
        ExecutorService pool = Executors.newFixedThreadPool(calls);
        CyclicBarrier together = new CyclicBarrier(calls);
        try {
            List<Future<ChatResponse>> answers = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                String text = "message " + i;
                answers.add(pool.submit(() -> {
                    TokenStream stream = streaming.chat(ALICE, text); // created by all threads at once ...
                    together.await();
                    return run(stream).get(1, TimeUnit.MINUTES); // ... and started at once
                }));
            }
            for (int i = 0; i < calls; i++) {
                assertThat(answers.get(i).get(1, TimeUnit.MINUTES).aiMessage().text()).isEqualTo("echo: message " + i);
            }
        } finally {
            pool.shutdownNow();
        }
        List<Run> runs = storage.runs(ALICE).toList();
        assertThat(runs).hasSize(calls).allSatisfy(run -> {
            assertThat(run.status()).isEqualTo(RunStatus.COMPLETED);
            assertThat(run.messages()).extracting(Message::content).hasSize(2)
                    .satisfies(m -> assertThat(m.get(1)).isEqualTo("echo: " + m.get(0)));
        });
        // The k-th request (in the order the server got them) holds the k runs stored before it, in order.
        List<String> questions = runs.stream().map(r -> r.messages().get(0).content()).toList();
        for (int k = 0; k < calls; k++) {
            assertThat(userTexts(server.request(k))).containsExactlyElementsOf(questions.subList(0, k + 1));
        }
    }

    @Test
    void aStreamCreatedButNeverStartedHoldsNothingAndWritesNothing() {
        TokenStream abandoned = streaming.chat(ALICE, "I will never be sent");
        server.replyText("hello");
        assertThat(blocking.chat(ALICE, "hi")).isEqualTo("hello"); // did not wait for the stream
        assertThat(storage.runs(ALICE).toList()).singleElement()
                .satisfies(run -> assertThat(run.messages().get(0).content()).isEqualTo("hi"));
        assertThat(abandoned).isNotNull();
    }

    @Test
    void aStreamStartedLaterSendsTheHistoryAsItIsWhenItStarts() throws Exception {
        TokenStream later = streaming.chat(ALICE, "second, streamed");
        server.replyText("first answer");
        blocking.chat(ALICE, "first, blocking");
        server.replyText("second answer");
        run(later).get(1, TimeUnit.MINUTES);

        assertThat(userTexts(server.lastRequest())).containsExactly("first, blocking", "second, streamed");
        assertThat(storage.runs(ALICE).map(r -> r.messages().get(0).content()))
                .containsExactly("first, blocking", "second, streamed");
    }

    @Test
    void aCancelledStreamIsRecordedAsCancelledAndGivesTheTurnBack() throws Exception {
        server.replyText("a long answer that the user stops reading");
        startAndCancelAtTheFirstToken();
        assertThat(memory.streamCancelled(ALICE)).isTrue();
        assertThat(memory.streamCancelled(ALICE)).as("nothing left to cancel").isFalse();

        Run cancelled = storage.lastRuns(ALICE, 1).get(0);
        assertThat(cancelled.status()).isEqualTo(RunStatus.CANCELLED);
        assertThat(cancelled.metrics().modelCalls()).isZero(); // the response never completed

        server.replyText("ok");
        assertThat(blocking.chat(ALICE, "never mind")).isEqualTo("ok");
        assertThat(userTexts(server.lastRequest())).containsExactly("never mind"); // the cancelled run is not sent
    }

    @Test
    void aStreamThatEndsWithoutAnEventIsFinishedWhenItIsGarbageCollected() throws Exception {
        server.replyText("an answer nobody reads");
        startAndCancelAtTheFirstToken();
        assertThat(memory.coordinator().activeCalls()).as("the cancelled stream still holds its turn").isOne();
        for (int i = 0; i < 50 && memory.coordinator().activeCalls() > 0; i++) {
            System.gc(); // the stream is unreachable once cancelled; its cleaner finishes the run
            Thread.yield();
        }
        assertThat(memory.coordinator().activeCalls()).isZero();
        // the cleaner's thread writes the outcome after it took the call out of the active ones
        Eventually.await("the abandoned run finished", () -> storage.lastRuns(ALICE, 1).get(0).status()
                != RunStatus.RUNNING);
        assertThat(storage.lastRuns(ALICE, 1).get(0).status()).isEqualTo(RunStatus.CANCELLED);
    }

    @Test
    void aFailingStreamIsRecordedAsAnErrorAndGivesTheTurnBack() throws Exception {
        server.replyRaw(500, "{\"error\":{\"message\":\"model crashed\",\"type\":\"server_error\"}}");
        CompletableFuture<ChatResponse> failed = run(streaming.chat(ALICE, "this fails"));
        assertThat(failed).failsWithin(1, TimeUnit.MINUTES);
        Run run = storage.lastRuns(ALICE, 1).get(0);
        assertThat(run.status()).isEqualTo(RunStatus.ERROR);
        assertThat(run.error()).hasValueSatisfying(e -> assertThat(e).contains("model crashed"));

        server.replyText("fine");
        assertThat(blocking.chat(ALICE, "next")).isEqualTo("fine");
        assertThat(userTexts(server.lastRequest())).containsExactly("next");
    }
}
