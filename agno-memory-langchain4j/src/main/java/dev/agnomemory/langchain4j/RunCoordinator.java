package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.observability.api.event.AiServiceStartedEvent;
import dev.langchain4j.observability.api.listener.AiServiceCompletedListener;
import dev.langchain4j.observability.api.listener.AiServiceErrorListener;
import dev.langchain4j.observability.api.listener.AiServiceListener;
import dev.langchain4j.observability.api.listener.AiServiceStartedListener;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens to the AI service's own events to make each call one run: the call's invocation id becomes the run id,
 * and calls on one session take turns (a fair permit per session, taken when the call starts and given back when
 * it completes or fails). Calls on different sessions run in parallel.
 *
 * <p>A call that never reports its end would hold its session; two guards keep that from blocking for good: the
 * same thread starting a new call takes the permit over (a blocking call on that thread must have ended), and a
 * waiting call proceeds after the wait limit, with a warning.
 */
final class RunCoordinator {

    private static final Logger log = LoggerFactory.getLogger(RunCoordinator.class);

    private static final class Turn {
        final Semaphore permit = new Semaphore(1, true);
        volatile String holderInvocation;
        volatile Thread holderThread;
        volatile String pendingRunId;
    }

    private final Function<Object, SessionKey> keyOf;
    private final Function<SessionKey, AgnoChatMemory> liveMemory;
    private final Duration waitLimit;
    private final ConcurrentHashMap<SessionKey, Turn> turns = new ConcurrentHashMap<>();

    RunCoordinator(Function<Object, SessionKey> keyOf, Function<SessionKey, AgnoChatMemory> liveMemory,
            Duration waitLimit) {
        this.keyOf = keyOf;
        this.liveMemory = liveMemory;
        this.waitLimit = waitLimit;
    }

    List<AiServiceListener<?>> listeners() {
        return List.of((AiServiceStartedListener) this::started,
                (AiServiceCompletedListener) event -> finished(event.invocationContext()),
                (AiServiceErrorListener) event -> finished(event.invocationContext()));
    }

    /** The run id the current call of this session asked for, once; null without listeners. */
    String takeRunId(SessionKey key) {
        Turn turn = turns.get(key);
        if (turn == null) {
            return null;
        }
        String id = turn.pendingRunId;
        turn.pendingRunId = null;
        return id;
    }

    private void started(AiServiceStartedEvent event) {
        InvocationContext context = event.invocationContext();
        SessionKey key = keyOf.apply(context.chatMemoryId());
        Turn turn = turns.computeIfAbsent(key, k -> new Turn());
        if (turn.holderThread == Thread.currentThread()) {
            log.debug("Call {} on session {} never reported its end; its thread starts a new call",
                    turn.holderInvocation, key);
            release(turn);
        }
        boolean acquired;
        try {
            acquired = turn.permit.tryAcquire(waitLimit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            acquired = false;
        }
        if (acquired) {
            turn.holderThread = Thread.currentThread();
            turn.holderInvocation = String.valueOf(context.invocationId());
        } else {
            log.warn("Call {} waited {} for the previous call on session {} to finish; proceeding without waiting "
                    + "longer", context.invocationId(), waitLimit, key);
        }
        turn.pendingRunId = String.valueOf(context.invocationId());
        AgnoChatMemory memory = liveMemory.apply(key);
        if (memory != null) {
            memory.beginCall(event.userMessage());
        }
    }

    private void finished(InvocationContext context) {
        SessionKey key = keyOf.apply(context.chatMemoryId());
        Turn turn = turns.get(key);
        if (turn != null && String.valueOf(context.invocationId()).equals(turn.holderInvocation)) {
            release(turn);
        }
    }

    private static void release(Turn turn) {
        turn.holderInvocation = null;
        turn.holderThread = null;
        turn.pendingRunId = null;
        turn.permit.release();
    }
}
