package dev.agnomemory.langchain4j;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.StaleTurnException;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a run starts and ends, and what happens when it ends.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>Start.</b> A {@link UserMessage} starts a run; so does any message when no run is open. Its id is the AI
 *       service call's invocation id (with the provider's listeners; a second run in the same call, and every
 *       run without listeners, gets a random UUID).</li>
 *   <li><b>End, with listeners.</b> The call's own end decides: LangChain4j's completed event finishes the run as
 *       {@code COMPLETED}, its error event as {@code ERROR} with the error's message, a stream that ends without
 *       either (cancelled) as {@code CANCELLED}; each with the run's metrics.</li>
 *   <li><b>End, without listeners.</b> An {@link AiMessage} without tool calls completes the run (no metrics), in
 *       the same durable write that stores it; a run still open when the next user message arrives stays in storage
 *       as {@code RUNNING}.</li>
 *   <li><b>Completed.</b> Only a completed run joins the history and starts the after-run memory work
 *       ({@link AfterRunWork}); the others stay in storage, visible to the application and the tools.</li>
 *   <li><b>Stored.</b> Once a run's outcome is stored, whatever it is, the session is reported as changed to the
 *       {@code sessionChanged} listener (the conversation search, which indexes it in the background); so is a
 *       session the memory deleted.</li>
 * </ul>
 */
final class RunBoundaries {

    private static final Logger log = LoggerFactory.getLogger(RunBoundaries.class);

    private final AfterRunWork afterRun;
    private final Consumer<SessionKey> sessionChanged;

    /**
     * @param sessionChanged told of every session whose run was stored or that was deleted; must return at once
     *     and not throw
     */
    RunBoundaries(AfterRunWork afterRun, Consumer<SessionKey> sessionChanged) {
        this.afterRun = afterRun;
        this.sessionChanged = sessionChanged;
    }

    static boolean startsRun(ChatMessage message) {
        return message instanceof UserMessage;
    }

    /** Without listeners, the final answer ends the run. */
    static boolean endsRunWithoutListeners(ChatMessage message) {
        return message instanceof AiMessage ai && !ai.hasToolExecutionRequests();
    }

    /**
     * Records how the run ended. A session deleted meanwhile is not an error: the run went with it.
     *
     * @param writes where the call writes its session (its turn's fenced view)
     * @return whether the outcome was stored
     * @throws StaleTurnException when the call lost its turn: the run is left as it was
     */
    boolean finish(MemoryStorage writes, SessionKey key, String runId, RunOutcome outcome) {
        try {
            writes.finishRun(key, runId, outcome);
            sessionChanged.accept(key);
            return true;
        } catch (StaleTurnException e) {
            throw e;
        } catch (IllegalStateException e) {
            log.debug("Run {} of {} could not be finished as {}: {}", runId, key, outcome.status(), e.getMessage());
            return false;
        }
    }

    /**
     * Writes the message that ends the run and how the run ended, in one durable write. Unlike {@link #finish}, a
     * refusal is the caller's: the message could not be stored either.
     *
     * @throws IllegalStateException when the storage refuses the message (see {@link MemoryStorage#appendMessages})
     * @throws StaleTurnException when the call lost its turn: nothing was stored
     */
    void finishWith(MemoryStorage writes, SessionKey key, String runId, Message last, RunOutcome outcome) {
        writes.finishRun(key, runId, List.of(last), outcome);
        sessionChanged.accept(key);
    }

    /** A run completed: starts the after-run memory work. Call it outside any session lock. */
    void completed(SessionKey key, String runId) {
        afterRun.runCompleted(key, runId);
    }

    /** The memory deleted the session. */
    void deleted(SessionKey key) {
        sessionChanged.accept(key);
    }

    AfterRunWork afterRun() {
        return afterRun;
    }
}
