package dev.agnomemory.langchain4j;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.StaleTurnException;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.observability.api.event.AiServiceErrorEvent;
import dev.langchain4j.observability.api.event.AiServiceRequestIssuedEvent;
import dev.langchain4j.observability.api.event.AiServiceStartedEvent;
import dev.langchain4j.observability.api.listener.AiServiceCompletedListener;
import dev.langchain4j.observability.api.listener.AiServiceErrorListener;
import dev.langchain4j.observability.api.listener.AiServiceListener;
import dev.langchain4j.observability.api.listener.AiServiceRequestIssuedListener;
import dev.langchain4j.observability.api.listener.AiServiceResponseReceivedListener;
import dev.langchain4j.observability.api.listener.AiServiceStartedListener;
import dev.langchain4j.observability.api.listener.ToolExecutedEventListener;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows each AI service call through LangChain4j's own events and makes it one run of its session.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>A blocking call</b> takes its session's turn when it starts (the started event, on the caller's
 *       thread, before the prompt is built) and gives it back when it completes or fails.</li>
 *   <li><b>A streaming call</b> ({@code TokenStream}) takes its turn when the stream starts ({@code start()}, on
 *       that thread), not when the method is called: a stream created but never started holds nothing. What
 *       LangChain4j adds to the memory while creating the stream is kept with the call and written when it
 *       starts; with {@link #transform}, its first request is then built from storage as it is at that moment, so
 *       it also holds a call that completed in between. It gives the turn back on completion, on error, and on
 *       cancellation: LangChain4j reports no event when a stream is cancelled through its {@code StreamingHandle}
 *       (or fails after {@code ignoreErrors()}), so such a stream's run is finished as cancelled when the stream
 *       is garbage-collected, or at once with {@link AgnoChatMemoryProvider#streamCancelled}.</li>
 *   <li><b>Turns</b> come from {@link CallTurns} (the storage's session turns, shared by every process on the
 *       store). A call that cannot take its turn fails with the reason ({@code TurnTimeoutException} naming the
 *       session after the wait limit, {@link TurnInterruptedException}, a {@code StorageException}) and writes
 *       nothing: a blocking call where LangChain4j first uses its memory, a stream at {@code start()}.</li>
 *   <li><b>Fenced writes.</b> While a call holds its turn, its session's writes go through the turn's view of the
 *       storage. When the turn was lost (its lease ran out, for example while the process stood still, and another
 *       instance took the session), the next write throws {@code StaleTurnException} and stores nothing: the call
 *       fails with it, its run is not finished (it stays running, never completed), and the turn is given
 *       back.</li>
 *   <li><b>Run outcome and metrics.</b> The completed event finishes the run as completed, the error event as an
 *       error with the exception's class and first line; every model response adds its token usage, model name
 *       and finish reason, every tool execution one tool call ({@link Call}).</li>
 *   <li>Listeners never throw: a memory id the resolver rejects is left to fail the call where LangChain4j asks
 *       the provider for the memory, with the resolver's message.</li>
 * </ul>
 */
final class CallCoordinator {

    private static final Logger log = LoggerFactory.getLogger(CallCoordinator.class);

    /** The streaming call whose method is running on this thread (LangChain4j adds its messages meanwhile). */
    private static final ThreadLocal<Call> CREATING = new ThreadLocal<>();
    /** The blocking call on this thread that could not begin: the memory throws its failure at its first use. */
    private static final ThreadLocal<Refused> REFUSED = new ThreadLocal<>();
    private static final Cleaner CLEANER = Cleaner.create();

    private final SessionKeyResolver resolver;
    private final SessionWindows windows;
    private final RunBoundaries runs;
    private final CallTurns turns;
    private final Duration waitLimit;
    private final Runnable onFirstCall;
    private final ConcurrentHashMap<String, Call> active = new ConcurrentHashMap<>();
    /** Streams created and not started; one never started is forgotten after an hour. */
    private final Cache<String, Call> pendingStreams = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofHours(1)).build();

    CallCoordinator(SessionKeyResolver resolver, SessionWindows windows, RunBoundaries runs, CallTurns turns,
            Duration waitLimit, Runnable onFirstCall) {
        this.resolver = resolver;
        this.windows = windows;
        this.runs = runs;
        this.turns = turns;
        this.waitLimit = waitLimit;
        this.onFirstCall = onFirstCall;
    }

    /** @return the streaming call being created on this thread for this session, or null */
    static Call creatingOn(SessionKey key) {
        Call c = CREATING.get();
        return c != null && c.key.equals(key) ? c : null;
    }

    /**
     * Throws why the blocking call on this thread could not begin on {@code key} (its turn did not come in time,
     * the thread was interrupted, the storage failed), once: LangChain4j swallows what its listeners throw, so the
     * failure reaches the caller where LangChain4j first uses the call's memory.
     */
    static void throwIfRefused(SessionKey key) {
        Refused refused = REFUSED.get();
        if (refused != null && refused.key.equals(key)) {
            REFUSED.remove();
            throw refused.error;
        }
    }

    private record Refused(String callId, SessionKey key, RuntimeException error) {
    }

    /** LangChain4j added the user message of the stream being created: the creation is over. */
    static void creationDone() {
        CREATING.remove();
    }

    List<AiServiceListener<?>> listeners() {
        return List.of((AiServiceStartedListener) this::started,
                (AiServiceRequestIssuedListener) this::requestIssued,
                (AiServiceResponseReceivedListener) e -> {
                    Call call = active.get(id(e.invocationContext()));
                    if (call != null) {
                        call.modelCalled(e.response());
                    }
                },
                (ToolExecutedEventListener) e -> {
                    Call call = active.get(id(e.invocationContext()));
                    if (call != null) {
                        call.toolCalled();
                    }
                },
                (AiServiceCompletedListener) e -> end(id(e.invocationContext()),
                        call -> RunOutcome.completed(call.metrics())),
                (AiServiceErrorListener) this::failed);
    }

    private void started(AiServiceStartedEvent event) {
        CREATING.remove();
        REFUSED.remove();
        InvocationContext context = event.invocationContext();
        SessionKey key = resolveQuietly(context.chatMemoryId());
        if (key == null) {
            return;
        }
        onFirstCall.run();
        Call call = new Call(id(context), key, StreamingMethods.isStreaming(context),
                event.userMessage() == null ? null : ChatMessages.text(event.userMessage()), sessionState(context));
        if (call.streaming) {
            pendingStreams.put(call.id, call);
            CREATING.set(call);
            return;
        }
        try {
            begin(call);
        } catch (RuntimeException e) {
            refuse(call, e);
            return;
        }
        try {
            windows.get(key).beginCall(call);
        } catch (RuntimeException e) {
            end(call.id, c -> RunOutcome.error(describe(e), c.metrics()));
            refuse(call, e);
        }
    }

    private static void refuse(Call call, RuntimeException e) {
        log.debug("Call {} on {} could not begin: {}", call.id, call.key, e.toString());
        REFUSED.set(new Refused(call.id, call.key, e));
    }

    /**
     * The {@code chatRequestTransformer} that {@link AgnoChatMemoryProvider#attachTo} installs: when a stream
     * starts, its first request is built from storage now; every other request passes unchanged.
     */
    ChatRequest transform(ChatRequest request, Object memoryId) {
        if (pendingStreams.asMap().isEmpty() || request.messages().isEmpty()) {
            return request;
        }
        ChatMessage last = request.messages().get(request.messages().size() - 1);
        if (!(last instanceof UserMessage user)) {
            return request;
        }
        SessionKey key = resolveQuietly(memoryId);
        Call call = key == null ? null : pendingFor(key, user);
        if (call == null || pendingStreams.asMap().remove(call.id) == null) {
            return request;
        }
        begin(call); // throws out of TokenStream.start(): the stream fails before it sends anything
        try {
            return request.toBuilder().messages(windows.get(key).beginStream(call, user)).build();
        } catch (RuntimeException e) {
            end(call.id, c -> RunOutcome.error(describe(e), c.metrics()));
            throw e;
        }
    }

    private Call pendingFor(SessionKey key, UserMessage user) {
        Call equal = null;
        for (Call c : pendingStreams.asMap().values()) {
            if (c.key.equals(key) && c.pendingUser != null) {
                if (c.pendingUser == user) {
                    return c;
                }
                if (equal == null && c.pendingUser.equals(user)) {
                    equal = c;
                }
            }
        }
        return equal;
    }

    private void requestIssued(AiServiceRequestIssuedEvent event) {
        String id = id(event.invocationContext());
        Call call = active.get(id);
        if (call == null) {
            call = pendingStreams.asMap().remove(id);
            if (call == null) {
                return;
            }
            // Started without the transformer (only the listeners registered): the first request was built when
            // the stream was created; what it added is written now. A failure to take the turn cannot reach the
            // caller from here (LangChain4j swallows what listeners throw): the stream goes on without the turn.
            try {
                begin(call);
            } catch (RuntimeException e) {
                log.warn("Streaming call {} on {} goes on without its session's turn, so it may interleave with "
                        + "another call (install the provider's chatRequestTransformer to have it fail instead): {}",
                        id, call.key, e.toString());
                call.begun = true;
                active.put(call.id, call);
            }
            windows.get(call.key).beginStream(call, null);
        }
        if (call.streaming && !call.watched) {
            call.watched = true;
            String callId = call.id;
            // The stream holds this context until it ends; once it is unreachable without an end event, the stream
            // was cancelled or failed unseen.
            CLEANER.register(event.invocationContext(), () -> abandoned(callId));
        }
    }

    /** Takes the call's turn, or throws why it cannot. */
    private void begin(Call call) {
        call.turn = turns.take(call.key, call.id, waitLimit);
        call.begun = true;
        active.put(call.id, call);
    }

    private void failed(AiServiceErrorEvent event) {
        String id = id(event.invocationContext());
        Call creating = CREATING.get();
        if (creating != null && creating.id.equals(id)) {
            CREATING.remove();
        }
        Refused refused = REFUSED.get();
        if (refused != null && refused.callId.equals(id)) {
            REFUSED.remove();
        }
        pendingStreams.invalidate(id);
        end(id, call -> RunOutcome.error(describe(event.error()), call.metrics()));
    }

    /**
     * @return where a tool of the call with this context writes its session: the call's turn (fenced), or
     *     {@code storage} when the call is not one this coordinator follows
     */
    MemoryStorage writes(InvocationContext context, MemoryStorage storage) {
        Call call = active.get(id(context));
        return call == null ? storage : call.writes(storage);
    }

    /** See {@link AgnoChatMemoryProvider#streamCancelled}. */
    boolean streamCancelled(SessionKey key) {
        for (Call call : active.values()) {
            if (call.streaming && call.key.equals(key)) {
                end(call.id, c -> RunOutcome.cancelled(c.metrics()));
                return true;
            }
        }
        return false;
    }

    private void abandoned(String callId) {
        if (active.containsKey(callId)) {
            log.debug("Streaming call {} ended without a completion or error event (cancelled, or an error it "
                    + "ignored); its run is recorded as cancelled", callId);
            end(callId, c -> RunOutcome.cancelled(c.metrics()));
        }
    }

    private void end(String id, Function<Call, RunOutcome> outcome) {
        Call call = active.remove(id);
        if (call == null) {
            return;
        }
        try {
            String completed = windows.get(call.key).finishCall(call, outcome.apply(call));
            if (completed != null) {
                runs.completed(call.key, completed);
            }
        } catch (StaleTurnException e) {
            log.warn("Run {} of {} was not finished: the call lost its session's turn ({}); the run stays in "
                    + "storage as running", id, call.key, e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Finishing run {} of {} failed; the next call starts from what storage holds", id, call.key, e);
        } finally {
            if (call.turn != null) {
                call.turn.close();
            }
        }
    }

    /** The call's own session state: the {@value AgnoChatMemoryProvider#SESSION_STATE} invocation parameter. */
    private static ObjectNode sessionState(InvocationContext context) {
        Object value = context.invocationParameters() == null ? null
                : context.invocationParameters().get(AgnoChatMemoryProvider.SESSION_STATE);
        if (value == null) {
            return null;
        }
        try {
            return SessionStates.of(value, "the session_state parameter");
        } catch (IllegalArgumentException e) {
            log.warn("Call {} on {} ignores its session state: {}", id(context), context.chatMemoryId(),
                    e.getMessage());
            return null;
        }
    }

    private SessionKey resolveQuietly(Object memoryId) {
        try {
            return resolver.resolve(memoryId);
        } catch (RuntimeException e) {
            log.debug("Memory id {} is not one of this memory's sessions: {}", memoryId, e.getMessage());
            return null;
        }
    }

    private static String id(InvocationContext context) {
        return String.valueOf(context.invocationId());
    }

    /** The error as a run records it: its class and the first line of its message, at most 1,000 characters. */
    static String describe(Throwable error) {
        if (error == null) {
            return "unknown error";
        }
        String message = error.getMessage();
        String text = error.getClass().getSimpleName();
        if (message != null && !message.isBlank()) {
            int newline = message.indexOf('\n');
            text += ": " + (newline < 0 ? message : message.substring(0, newline)).strip();
        }
        return text.length() <= 1_000 ? text : text.substring(0, 997) + "...";
    }

    /** @return how many calls are in progress (for tests) */
    int activeCalls() {
        return active.size();
    }
}
