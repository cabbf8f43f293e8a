package dev.agnomemory.core.internal;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import dev.agnomemory.core.storage.SessionStamp;
import dev.agnomemory.core.storage.SessionTurns;
import dev.agnomemory.core.storage.StaleTurnException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * {@link dev.agnomemory.core.storage.SessionTurn#storage()}: the storage as the holder of a turn sees it. Writes to
 * the turn's session go through {@link FencedWrites} with the turn's epoch, after a local check that the turn is
 * still held (a write of a turn known to be stale costs no round trip); writes to other sessions are refused;
 * everything else goes to the storage.
 */
final class FencedStorageView implements MemoryStorage {

    private final MemoryStorage storage;
    private final FencedWrites writes;
    private final LeasedTurns.Turn turn;

    FencedStorageView(MemoryStorage storage, FencedWrites writes, LeasedTurns.Turn turn) {
        this.storage = storage;
        this.writes = writes;
        this.turn = turn;
    }

    private <T> T fenced(SessionKey key, Supplier<T> write) {
        Require.notNull(key, "key");
        if (!key.equals(turn.key())) {
            throw new IllegalArgumentException("This storage view of the turn of " + LeasedTurns.describe(turn.key())
                    + " writes only to that session, not to " + LeasedTurns.describe(key));
        }
        String notHeld = turn.whyNotHeld();
        if (notHeld != null) {
            throw new StaleTurnException(key, turn.epoch(), notHeld);
        }
        try {
            return write.get();
        } catch (StaleTurnException e) {
            turn.lost("a write found another epoch current");
            throw e;
        }
    }

    // ---- fenced: writes to the turn's session ----

    @Override
    public Session getOrCreateSession(SessionKey key, String agentId) {
        return fenced(key, () -> writes.getOrCreateSession(key, agentId, turn.epoch()));
    }

    @Override
    public Optional<Session> updateSessionData(SessionKey key, UnaryOperator<Map<String, String>> update) {
        return fenced(key, () -> writes.updateSessionData(key, update, turn.epoch()));
    }

    @Override
    public Optional<Session> updateSessionState(SessionKey key, UnaryOperator<String> update) {
        return fenced(key, () -> writes.updateSessionState(key, update, turn.epoch()));
    }

    @Override
    public Optional<Session> renameSession(SessionKey key, String name) {
        return fenced(key, () -> writes.renameSession(key, name, turn.epoch()));
    }

    @Override
    public boolean deleteSession(SessionKey key) {
        return fenced(key, () -> writes.deleteSession(key, turn.epoch()));
    }

    @Override
    public List<MessagePosition> appendMessages(SessionKey key, String runId, List<Message> messages) {
        return fenced(key, () -> writes.appendMessages(key, runId, messages, turn.epoch()));
    }

    @Override
    public void finishRun(SessionKey key, String runId, RunOutcome outcome) {
        fenced(key, () -> {
            writes.finishRun(key, runId, outcome, turn.epoch());
            return null;
        });
    }

    @Override
    public List<MessagePosition> finishRun(SessionKey key, String runId, List<Message> lastMessages,
            RunOutcome outcome) {
        return fenced(key, () -> writes.finishRun(key, runId, lastMessages, outcome, turn.epoch()));
    }

    @Override
    public boolean saveSummary(SessionKey key, SessionSummary summary) {
        return fenced(key, () -> writes.saveSummary(key, summary, turn.epoch()));
    }

    // ---- unchanged: reads, and the user's memories ----

    @Override
    public Optional<Session> session(SessionKey key) {
        return storage.session(key);
    }

    @Override
    public OptionalLong sessionVersion(SessionKey key) {
        return storage.sessionVersion(key);
    }

    @Override
    public List<Session> sessions(SessionFilter filter) {
        return storage.sessions(filter);
    }

    @Override
    public List<SessionKey> sessionKeys(SessionFilter filter) {
        return storage.sessionKeys(filter);
    }

    @Override
    public List<SessionStamp> sessionStamps(String userId) {
        return storage.sessionStamps(userId);
    }

    @Override
    public List<Run> lastRuns(SessionKey key, int n) {
        return storage.lastRuns(key, n);
    }

    @Override
    public List<Run> lastCompletedRuns(SessionKey key, int n) {
        return storage.lastCompletedRuns(key, n);
    }

    @Override
    public Stream<Run> runs(SessionKey key) {
        return storage.runs(key);
    }

    @Override
    public List<Message> messagesBetween(SessionKey key, MessagePosition from, MessagePosition to) {
        return storage.messagesBetween(key, from, to);
    }

    @Override
    public Optional<SessionSummary> summary(SessionKey key) {
        return storage.summary(key);
    }

    @Override
    public void saveMemory(UserMemory memory, MemoryChangeCause cause) {
        storage.saveMemory(memory, cause);
    }

    @Override
    public Optional<UserMemory> memory(String userId, String memoryId) {
        return storage.memory(userId, memoryId);
    }

    @Override
    public List<UserMemory> memories(String userId) {
        return storage.memories(userId);
    }

    @Override
    public List<UserMemory> memories(String userId, int offset, int limit) {
        return storage.memories(userId, offset, limit);
    }

    @Override
    public long memoriesVersion(String userId) {
        return storage.memoriesVersion(userId);
    }

    @Override
    public List<MemoryChange> memoryHistory(String userId, String memoryId) {
        return storage.memoryHistory(userId, memoryId);
    }

    @Override
    public boolean deleteMemory(String userId, String memoryId, MemoryChangeCause cause) {
        return storage.deleteMemory(userId, memoryId, cause);
    }

    @Override
    public int deleteMemories(String userId) {
        return storage.deleteMemories(userId);
    }

    @Override
    public boolean saveMemoryEmbedding(MemoryEmbedding embedding) {
        return storage.saveMemoryEmbedding(embedding);
    }

    @Override
    public List<MemoryEmbedding> memoryEmbeddings(String userId) {
        return storage.memoryEmbeddings(userId);
    }

    @Override
    public SessionTurns turns() {
        return storage.turns();
    }

    /** Closes the turn, not the storage. */
    @Override
    public void close() {
        turn.close();
    }

    @Override
    public String toString() {
        return "the storage view of the turn of " + LeasedTurns.describe(turn.key()) + " with epoch " + turn.epoch();
    }
}
