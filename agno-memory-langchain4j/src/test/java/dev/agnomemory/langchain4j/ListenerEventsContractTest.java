package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.TempStorage;
import dev.agnomemory.langchain4j.testing.ToolCallSpec;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.observability.api.event.AiServiceCompletedEvent;
import dev.langchain4j.observability.api.event.AiServiceErrorEvent;
import dev.langchain4j.observability.api.event.AiServiceEvent;
import dev.langchain4j.observability.api.event.AiServiceRequestIssuedEvent;
import dev.langchain4j.observability.api.event.AiServiceResponseReceivedEvent;
import dev.langchain4j.observability.api.event.AiServiceStartedEvent;
import dev.langchain4j.observability.api.event.ToolExecutedEvent;
import dev.langchain4j.observability.api.listener.AiServiceCompletedListener;
import dev.langchain4j.observability.api.listener.AiServiceErrorListener;
import dev.langchain4j.observability.api.listener.AiServiceListener;
import dev.langchain4j.observability.api.listener.AiServiceRequestIssuedListener;
import dev.langchain4j.observability.api.listener.AiServiceResponseReceivedListener;
import dev.langchain4j.observability.api.listener.AiServiceStartedListener;
import dev.langchain4j.observability.api.listener.ToolExecutedEventListener;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.service.UserMessage;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The provider's listeners use LangChain4j's {@code dev.langchain4j.observability.api}, {@code @Experimental} in
 * 1.19. This test pins down exactly what they rely on: which events an AI service call fires, in which order, on
 * which thread, and which of their fields are filled. When a LangChain4j upgrade changes any of it, this test
 * fails first, saying which expectation of {@link CallCoordinator} broke.
 */
class ListenerEventsContractTest {

    private static final String CONTRACT = "LangChain4j's AI service events changed; CallCoordinator relies on this: ";
    private static final SessionKey ALICE = SessionKey.of("alice", "s1");

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

    record Seen(Class<?> type, AiServiceEvent event, Thread thread) {
    }

    @RegisterExtension
    final TempStorage store = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();

    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private AgnoChatMemoryProvider memory;

    @BeforeEach
    void start() {
        memory = AgnoChatMemoryProvider.builder().storage(store.storage()).build();
    }

    private List<AiServiceListener<?>> recorders() {
        return List.of((AiServiceStartedListener) e -> record(AiServiceStartedEvent.class, e),
                (AiServiceRequestIssuedListener) e -> record(AiServiceRequestIssuedEvent.class, e),
                (AiServiceResponseReceivedListener) e -> record(AiServiceResponseReceivedEvent.class, e),
                (ToolExecutedEventListener) e -> record(ToolExecutedEvent.class, e),
                (AiServiceCompletedListener) e -> record(AiServiceCompletedEvent.class, e),
                (AiServiceErrorListener) e -> record(AiServiceErrorEvent.class, e));
    }

    private void record(Class<?> type, AiServiceEvent event) {
        seen.add(new Seen(type, event, Thread.currentThread()));
    }

    private List<Class<?>> types() {
        return seen.stream().<Class<?>>map(Seen::type).toList();
    }

    @Test
    void theProviderListensToExactlyTheseSixEvents() {
        List<Object> classes = memory.listeners().stream().<Object>map(AiServiceListener::getEventClass).toList();
        assertThat(classes).as(CONTRACT + "event classes").containsExactly(AiServiceStartedEvent.class, AiServiceRequestIssuedEvent.class,
                        AiServiceResponseReceivedEvent.class, ToolExecutedEvent.class, AiServiceCompletedEvent.class,
                        AiServiceErrorEvent.class);
    }

    @Test
    void aBlockingCallFiresItsEventsInOrderOnTheCallersThreadWithOneInvocationId() {
        Assistant assistant = memory.attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel())
                .tools(new Calculator()).registerListeners(recorders()).build();
        openAi.server().replyToolCalls(ToolCallSpec.of("c1", "add", "{\"a\":1,\"b\":2}"));
        openAi.server().replyText("3");
        assistant.chat(ALICE, "1+2?");

        assertThat(types()).as(CONTRACT + "the events of a blocking call with one tool round trip").containsExactly(
                AiServiceStartedEvent.class, AiServiceRequestIssuedEvent.class, AiServiceResponseReceivedEvent.class,
                ToolExecutedEvent.class, AiServiceRequestIssuedEvent.class, AiServiceResponseReceivedEvent.class,
                AiServiceCompletedEvent.class);
        assertThat(seen).as(CONTRACT + "all on the caller's thread").allMatch(s -> s.thread() == Thread.currentThread());
        assertThat(seen).extracting(s -> s.event().invocationContext().invocationId()).as(CONTRACT
                + "one invocation id per call").containsOnly(seen.get(0).event().invocationContext().invocationId());
        AiServiceStartedEvent started = (AiServiceStartedEvent) seen.get(0).event();
        assertThat(started.userMessage().singleText()).as(CONTRACT + "the started event carries the user message")
                .isEqualTo("1+2?");
        assertThat(started.invocationContext().chatMemoryId()).isEqualTo(ALICE);
        assertThat(started.invocationContext().interfaceName()).as(CONTRACT + "interface and method name, to tell "
                + "streaming calls").isEqualTo(Assistant.class.getName());
        assertThat(started.invocationContext().methodName()).isEqualTo("chat");
        assertThat(started.invocationContext().methodArguments()).containsExactly(ALICE, "1+2?");
        ChatResponse response = ((AiServiceResponseReceivedEvent) seen.get(2).event()).response();
        assertThat(response.tokenUsage()).as(CONTRACT + "responses carry token usage").isNotNull();
        assertThat(response.modelName()).isEqualTo(ScriptedOpenAi.MODEL);
        assertThat(response.finishReason()).isNotNull();
    }

    @Test
    void aFailingCallFiresTheErrorEvent() {
        Assistant assistant = memory.attachTo(AiServices.builder(Assistant.class)).chatModel(openAi.chatModel())
                .registerListeners(recorders()).build();
        openAi.server().replyRaw(500, "{\"error\":{\"message\":\"boom\"}}");
        assertThatThrownBy(() -> assistant.chat(ALICE, "fail")).isNotNull();
        assertThat(types()).as(CONTRACT + "the events of a failing call").containsExactly(AiServiceStartedEvent.class,
                AiServiceRequestIssuedEvent.class, AiServiceErrorEvent.class);
    }

    @Test
    void aStreamingCallFiresStartedWhenTheMethodIsCalledAndTheRestWhenItRuns() throws Exception {
        Assistant assistant = memory.attachTo(AiServices.builder(Assistant.class))
                .streamingChatModel(openAi.streamingChatModel()).registerListeners(recorders()).build();
        openAi.server().replyText("streamed");
        TokenStream stream = assistant.stream(ALICE, "hi");
        assertThat(types()).as(CONTRACT + "started fires when the streaming method is called")
                .containsExactly(AiServiceStartedEvent.class);
        assertThat(StreamingMethods.isStreaming(seen.get(0).event().invocationContext()))
                .as(CONTRACT + "the streaming method is found from the started event").isTrue();

        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        stream.onPartialResponse(t -> { }).onCompleteResponse(done::complete).onError(done::completeExceptionally)
                .start();
        done.get(1, TimeUnit.MINUTES);
        assertThat(types()).as(CONTRACT + "the events of a streamed call").containsExactly(AiServiceStartedEvent.class,
                AiServiceRequestIssuedEvent.class, AiServiceResponseReceivedEvent.class,
                AiServiceCompletedEvent.class);
        assertThat(seen.get(1).thread()).as(CONTRACT + "the first request is issued on the thread calling start()")
                .isSameAs(Thread.currentThread());
    }
}
