package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionTurn;
import dev.agnomemory.core.storage.StaleTurnException;
import dev.agnomemory.core.storage.TurnTimeoutException;
import dev.agnomemory.core.testing.Eventually;
import dev.agnomemory.core.testing.ManualScheduler;
import dev.agnomemory.langchain4j.testing.RecordedMessage;
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
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An AI service call holds its session's turn (the storage's) and writes through it: a call that cannot get the
 * turn in time fails naming the session, and a call that lost its turn mid-call (a zombie) fails with
 * {@link StaleTurnException} and leaves no completed run. Real AiServices and OpenAiChatModel against the scripted
 * server; MapDB here, PostgreSQL in {@link CallTurnsOnPostgresTest}.
 */
class CallTurnsTest {

    private static final SessionKey ALICE = SessionKey.of("alice", "s1");
    private static final Duration LEASE = Duration.ofSeconds(10);

    interface Blocking {
        @SystemMessage("You are terse.")
        String chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    interface Streaming {
        TokenStream chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    @RegisterExtension
    final StorageFixture store = fixture();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();

    private ScriptedOpenAiServer server;

    /** The storage the tests run on: a MapDB file here, PostgreSQL in {@link CallTurnsOnPostgresTest}. */
    StorageFixture fixture() {
        return new TempStorage();
    }

    @BeforeEach
    void start() {
        server = openAi.server();
    }

    private AgnoChatMemoryProvider provider(MemoryStorage storage, Duration callWaitLimit) {
        return AgnoChatMemoryProvider.builder().storage(storage).callWaitLimit(callWaitLimit).build();
    }

    private Blocking blocking(AgnoChatMemoryProvider memory) {
        return memory.attachTo(AiServices.builder(Blocking.class)).chatModel(openAi.chatModel()).build();
    }

    @Test
    void aCallThatDoesNotGetItsTurnInTimeFailsNamingTheSessionAndWritesNothing() throws Exception {
        MemoryStorage storage = store.storage();
        Blocking service = blocking(provider(storage, Duration.ofMillis(50)));
        try (SessionTurn other = storage.turns().acquire(ALICE, Duration.ZERO)) { // another call, anywhere
            assertThatThrownBy(() -> service.chat(ALICE, "hi")).isInstanceOfSatisfying(TurnTimeoutException.class,
                    e -> {
                        assertThat(e.key()).isEqualTo(ALICE);
                        assertThat(e.getMessage()).contains("session s1 of user alice");
                    });
        }
        assertThat(server.requests()).isEmpty();
        assertThat(storage.session(ALICE)).isEmpty();

        server.replyText("hello");
        assertThat(service.chat(ALICE, "hi again")).isEqualTo("hello"); // the turn is free: the next call goes on
        assertThat(storage.runs(ALICE).toList()).singleElement().extracting(Run::status)
                .isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void aStreamThatDoesNotGetItsTurnInTimeFailsAtStart() throws Exception {
        MemoryStorage storage = store.storage();
        AgnoChatMemoryProvider memory = provider(storage, Duration.ofMillis(50));
        Streaming service = memory.attachTo(AiServices.builder(Streaming.class))
                .streamingChatModel(openAi.streamingChatModel()).build();
        try (SessionTurn other = storage.turns().acquire(ALICE, Duration.ZERO)) {
            TokenStream stream = service.chat(ALICE, "hi").onPartialResponse(t -> { })
                    .onCompleteResponse(r -> { }).onError(e -> { });
            assertThatThrownBy(stream::start).isInstanceOf(TurnTimeoutException.class)
                    .hasMessageContaining("session s1 of user alice");
        }
        assertThat(server.requests()).isEmpty();
        assertThat(storage.session(ALICE)).isEmpty();
        assertThat(memory.coordinator().activeCalls()).isZero();
    }

    @Test
    void aCallThatLostItsTurnMidCallFailsWithStaleTurnAndLeavesNoCompletedRun() throws Exception {
        ManualScheduler renewals = new ManualScheduler(); // never run: this instance stands still, as in a GC pause
        MemoryStorage storage = store.reopenWithTurns(renewals, LEASE);
        Blocking service = blocking(provider(storage, Duration.ofMinutes(1)));
        server.replyText("first answer");
        service.chat(ALICE, "first");

        server.replyWith(request -> {
            // While the model answers, the lease runs out and another instance takes the session and writes a run.
            store.passTime(LEASE.plusSeconds(1));
            try (SessionTurn other = storage.turns().acquire(ALICE, Duration.ofMinutes(1))) {
                MemoryStorage writes = other.storage();
                writes.appendMessage(ALICE, "other-run", Message.user("from the other instance"));
                writes.appendMessage(ALICE, "other-run", Message.assistant("answered there"));
                writes.completeRun(ALICE, "other-run");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return ScriptedReply.text("too late");
        });
        assertThatThrownBy(() -> service.chat(ALICE, "second")).isInstanceOfSatisfying(StaleTurnException.class,
                e -> assertThat(e.key()).isEqualTo(ALICE));

        List<Run> runs = storage.runs(ALICE).toList();
        assertThat(runs).extracting(Run::status).containsExactly(RunStatus.COMPLETED, RunStatus.RUNNING,
                RunStatus.COMPLETED);
        assertThat(runs.get(1).messages()).extracting(Message::content).containsExactly("second");
        assertThat(runs.get(2).runId()).isEqualTo("other-run");

        // the next call takes the turn again and sees the other instance's run, not the zombie's
        server.replyText("third answer");
        assertThat(service.chat(ALICE, "third")).isEqualTo("third answer");
        assertThat(server.lastRequest().messages("user")).extracting(RecordedMessage::content)
                .containsExactly("first", "from the other instance", "third");
        assertThat(storage.runs(ALICE).toList()).last().extracting(Run::status).isEqualTo(RunStatus.COMPLETED);
    }

    @Test
    void aStreamThatLostItsTurnMidCallEndsInOnErrorWithStaleTurn() throws Exception {
        MemoryStorage storage = store.reopenWithTurns(new ManualScheduler(), LEASE);
        AgnoChatMemoryProvider memory = provider(storage, Duration.ofMinutes(1));
        Streaming service = memory.attachTo(AiServices.builder(Streaming.class))
                .streamingChatModel(openAi.streamingChatModel()).build();
        server.replyWith(request -> {
            store.passTime(LEASE.plusSeconds(1));
            try (SessionTurn other = storage.turns().acquire(ALICE, Duration.ofMinutes(1))) {
                other.storage().appendMessage(ALICE, "other-run", Message.user("from the other instance"));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return ScriptedReply.text("too late");
        });
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        service.chat(ALICE, "streamed").onPartialResponse(t -> { }).onCompleteResponse(done::complete)
                .onError(done::completeExceptionally).start();

        assertThatThrownBy(() -> done.get(1, TimeUnit.MINUTES)).cause().isInstanceOf(StaleTurnException.class);
        List<Run> runs = storage.runs(ALICE).toList();
        assertThat(runs.get(0).messages()).extracting(Message::content).containsExactly("streamed");
        assertThat(runs.get(0).status()).isEqualTo(RunStatus.RUNNING);
        assertThat(runs.get(1).runId()).isEqualTo("other-run");
        Eventually.await("the stream gave its turn back", () -> memory.coordinator().activeCalls() == 0);
    }

    /** A tool during which this instance loses its turn: the lease runs out, another instance takes it. */
    final class TakeOver {
        private final MemoryStorage storage;

        TakeOver(MemoryStorage storage) {
            this.storage = storage;
        }

        @Tool("Stands still")
        public String standStill() throws InterruptedException {
            store.passTime(LEASE.plusSeconds(1));
            try (SessionTurn other = storage.turns().acquire(ALICE, Duration.ofMinutes(1))) {
                other.storage().updateSessionState(ALICE, state -> "{\"owner\":\"other instance\"}");
            }
            return "stood still";
        }
    }

    @Test
    void aSessionStateUpdateOfACallThatLostItsTurnIsNotStored() throws Exception {
        MemoryStorage storage = store.reopenWithTurns(new ManualScheduler(), LEASE);
        AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder().storage(storage).enableAgenticState(true)
                .sessionState("{\"owner\":\"nobody\"}").build();
        Blocking service = memory.attachTo(AiServices.builder(Blocking.class)).chatModel(openAi.chatModel())
                .tools(new TakeOver(storage)).build();
        // one answer with two tool calls, run in order: the instance loses its turn during the first
        server.replyToolCalls(ToolCallSpec.of("call-1", "standStill", "{}"), ToolCallSpec.of("call-2",
                "update_session_state", "{\"session_state_updates\":{\"owner\":\"zombie\"}}"));
        server.replyText("done");

        assertThatThrownBy(() -> service.chat(ALICE, "take it")).isInstanceOf(StaleTurnException.class);
        assertThat(storage.session(ALICE).orElseThrow().state()).isEqualTo("{\"owner\":\"other instance\"}");
    }
}
