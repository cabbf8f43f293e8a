package dev.agnomemory.core.internal;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A storage's session writes, each applied only while {@code fence} is the session's current turn epoch, checked
 * atomically with the write; otherwise they throw {@link dev.agnomemory.core.storage.StaleTurnException} and store
 * nothing. The same arguments, results and rules as the {@link dev.agnomemory.core.storage.MemoryStorage} methods of
 * the same names. Internal: not part of the public API and may change without notice.
 */
public interface FencedWrites {

    Session getOrCreateSession(SessionKey key, String agentId, long fence);

    Optional<Session> updateSessionData(SessionKey key, UnaryOperator<Map<String, String>> update, long fence);

    Optional<Session> updateSessionState(SessionKey key, UnaryOperator<String> update, long fence);

    Optional<Session> renameSession(SessionKey key, String name, long fence);

    boolean deleteSession(SessionKey key, long fence);

    List<MessagePosition> appendMessages(SessionKey key, String runId, List<Message> messages, long fence);

    void finishRun(SessionKey key, String runId, RunOutcome outcome, long fence);

    List<MessagePosition> finishRun(SessionKey key, String runId, List<Message> lastMessages, RunOutcome outcome,
            long fence);

    boolean saveSummary(SessionKey key, SessionSummary summary, long fence);
}
