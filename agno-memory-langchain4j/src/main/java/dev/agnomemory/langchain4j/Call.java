package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionTurn;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import java.util.Optional;

/**
 * One AI service call on a session, as the provider's listeners follow it: its id (the run id of its run), whether
 * it streams, the turn it holds, and the metrics of its model and tool calls so far. A streaming call is created
 * when its method is called and begins when its {@code TokenStream} starts; until then the system and user
 * message LangChain4j adds are kept here, not stored.
 */
final class Call {

    final String id;
    final SessionKey key;
    final boolean streaming;
    /** The user's message from the started event: the query of semantic memory retrieval. */
    final String userText;
    /** The session state given for this call (Agno's {@code session_state} of {@code run}), or null. */
    final ObjectNode sessionState;

    volatile SystemMessage pendingSystem;
    volatile UserMessage pendingUser;
    /** Whether the call took its turn and may write (immediately for a blocking call, at start() for a stream). */
    volatile boolean begun;
    /** Whether a run of this call was written (the first run of a call is named by the call's id). */
    volatile boolean runWritten;
    volatile boolean watched;
    /** The session's turn while the call holds it; null before it began (or when it goes on without one). */
    volatile SessionTurn turn;
    private RunMetrics metrics = RunMetrics.NONE;

    Call(String id, SessionKey key, boolean streaming, String userText, ObjectNode sessionState) {
        this.id = id;
        this.key = key;
        this.streaming = streaming;
        this.userText = userText;
        this.sessionState = sessionState;
    }

    /** @return where this call writes its session: its turn's fenced view, or {@code storage} without a turn */
    MemoryStorage writes(MemoryStorage storage) {
        SessionTurn t = turn;
        return t == null ? storage : t.storage();
    }

    /** A model call of this AI service call answered. */
    synchronized void modelCalled(ChatResponse response) {
        TokenUsage usage = response == null ? null : response.tokenUsage();
        metrics = metrics.plus(new RunMetrics(Optional.ofNullable(response == null ? null : response.modelName()),
                count(usage == null ? null : usage.inputTokenCount()),
                count(usage == null ? null : usage.outputTokenCount()),
                count(usage == null ? null : usage.totalTokenCount()), 1, 0,
                Optional.ofNullable(response == null || response.finishReason() == null ? null
                        : response.finishReason().name())));
    }

    /** A tool of this AI service call ran. */
    synchronized void toolCalled() {
        metrics = metrics.plus(new RunMetrics(Optional.empty(), 0, 0, 0, 0, 1, Optional.empty()));
    }

    synchronized RunMetrics metrics() {
        return metrics;
    }

    private static long count(Integer value) {
        return value == null || value < 0 ? 0 : value;
    }
}
