package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.internal.JsonText;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.storage.mapdb.JournalRecord.EmbeddingSaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryDeleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemorySaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MessagesAppended;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunFinished;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunStarted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionCreated;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDataSet;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDeleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionRenamed;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionStateSet;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SummarySaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.UserMemoriesDeleted;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The write plan: checks each write against the current state ({@link MemoryStorage}'s rules: does the session
 * exist, is the run current) and turns it into journal records carrying every derived value (session number, run
 * sequence, message index, version, time). Runs under the store's writer lock, so the state it reads is the state
 * the records are applied to. Changes nothing itself.
 *
 * @see dev.agnomemory.core.storage.MemoryStorage
 */
final class Planner {

    /**
     * The records of a write, and how to get the call's result once they are applied (from the state including
     * them, for values the records derive, such as versions).
     */
    record Planned<T>(List<JournalRecord> records, Function<RecordTarget, T> result) {
        static <T> Planned<T> nothing(T result) {
            return new Planned<>(List.of(), t -> result);
        }

        static <T> Planned<T> of(List<JournalRecord> records, T result) {
            return new Planned<>(records, t -> result);
        }
    }

    private final StateView view;
    private final Clock clock;

    Planner(StateView view, Clock clock) {
        this.view = view;
        this.clock = clock;
    }

    static Session session(RecordTarget t, long sid) {
        SessionHead h = t.head(sid);
        return h == null ? null : h.toSession(t.details(sid));
    }

    Session session(SessionHead h) {
        return h.toSession(view.details(h.sid()));
    }

    // ---- sessions ----

    Planned<Session> getOrCreateSession(SessionKey key, String agentId) {
        SessionHead existing = view.head(key);
        if (existing != null) {
            return Planned.nothing(session(existing));
        }
        long sid = view.nextSid();
        return new Planned<>(List.of(new SessionCreated(key, sid, agentId, clock.instant(), view.nextVersion())),
                t -> session(t, sid));
    }

    Planned<Optional<Session>> updateSessionData(SessionKey key, UnaryOperator<Map<String, String>> update) {
        return updateSession(key, (h, d) -> {
            Map<String, String> data = Require.copyOf(Require.notNull(update.apply(d.data()), "updated data"),
                    "updated data");
            return data.equals(d.data()) ? null
                    : new SessionDataSet(h.sid(), data, clock.instant(), view.nextVersion());
        });
    }

    Planned<Optional<Session>> updateSessionState(SessionKey key, UnaryOperator<String> update) {
        return updateSession(key, (h, d) -> {
            String state = JsonText.requireObject(update.apply(d.state()), "updated state");
            return state.equals(d.state()) ? null
                    : new SessionStateSet(h.sid(), state, clock.instant(), view.nextVersion());
        });
    }

    Planned<Optional<Session>> renameSession(SessionKey key, String name) {
        return updateSession(key, (h, d) -> Objects.equals(name, h.name()) ? null
                : new SessionRenamed(h.sid(), name, clock.instant(), view.nextVersion()));
    }

    private interface SessionChange {
        /** @return the record that changes the session, or null for no change */
        JournalRecord change(SessionHead head, SessionDetails details);
    }

    private Planned<Optional<Session>> updateSession(SessionKey key, SessionChange change) {
        SessionHead h = view.head(key);
        if (h == null) {
            return Planned.nothing(Optional.empty());
        }
        SessionDetails d = view.details(h.sid());
        JournalRecord record = change.change(h, d);
        if (record == null) {
            return Planned.nothing(Optional.of(h.toSession(d)));
        }
        return new Planned<>(List.of(record), t -> Optional.of(session(t, h.sid())));
    }

    Planned<Boolean> deleteSession(SessionKey key) {
        SessionHead h = view.head(key);
        return h == null ? Planned.nothing(false) : Planned.of(List.of(new SessionDeleted(key, h.sid())), true);
    }

    // ---- runs ----

    /**
     * Appends {@code batch} to the run, and finishes it in the same frame when {@code finish} is not null.
     */
    Planned<List<MessagePosition>> appendMessages(SessionKey key, String runId, List<Message> batch,
            RunOutcome finish) {
        SessionHead h = existing(key);
        Instant now = clock.instant();
        long version = view.nextVersion();
        List<JournalRecord> records = new ArrayList<>(3);
        long sequence;
        int first;
        if (runId.equals(h.currentRunId())) {
            if (h.currentRunFinished()) {
                throw new IllegalStateException("Run " + runId + " of " + describe(key)
                        + " is already finished; start a new run with a new run id");
            }
            sequence = h.runCount() - 1;
            first = h.currentRunMessages();
        } else {
            if (view.runSequence(h.sid(), runId) != null) {
                throw new IllegalStateException("Run " + runId + " is an earlier run of " + describe(key)
                        + "; only the current run can take messages");
            }
            sequence = h.runCount();
            first = 0;
            records.add(new RunStarted(h.sid(), sequence, runId, now, version++));
        }
        records.add(new MessagesAppended(h.sid(), sequence, first, batch, now, version));
        if (finish != null) {
            records.add(new RunFinished(h.sid(), sequence, finish, now, version + 1));
        }
        List<MessagePosition> positions = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            positions.add(new MessagePosition(sequence, first + i));
        }
        return Planned.of(records, List.copyOf(positions));
    }

    Planned<Void> finishRun(SessionKey key, String runId, RunOutcome outcome) {
        SessionHead h = existing(key);
        if (!runId.equals(h.currentRunId())) {
            throw new IllegalStateException("Run " + runId + " is not the current run of " + describe(key)
                    + (h.currentRunId() == null ? " (it has no runs)" : " (that is " + h.currentRunId() + ")"));
        }
        if (h.currentRunFinished()) {
            return Planned.nothing(null);
        }
        return Planned.of(List.of(new RunFinished(h.sid(), h.runCount() - 1, outcome, clock.instant(),
                view.nextVersion())), null);
    }

    Planned<Boolean> saveSummary(SessionKey key, SessionSummary summary) {
        SessionHead h = view.head(key);
        return h == null ? Planned.nothing(false)
                : Planned.of(List.of(new SummarySaved(h.sid(), summary, clock.instant(), view.nextVersion())), true);
    }

    // ---- memories ----

    Planned<Void> saveMemory(UserMemory memory, MemoryChangeCause cause) {
        UserMemory before = view.memory(memory.userId(), memory.memoryId());
        if (memory.equals(before)) {
            return Planned.nothing(null);
        }
        MemoryChange change = MemoryChange.between(before, memory, clock.instant(), cause);
        return Planned.of(List.of(new MemorySaved(memory, change, view.nextVersion())), null);
    }

    Planned<Boolean> deleteMemory(String userId, String memoryId, MemoryChangeCause cause) {
        UserMemory before = view.memory(userId, memoryId);
        if (before == null) {
            return Planned.nothing(false);
        }
        MemoryChange change = MemoryChange.between(before, null, clock.instant(), cause);
        return Planned.of(List.of(new MemoryDeleted(userId, memoryId, change, view.nextVersion())), true);
    }

    Planned<Integer> deleteMemories(String userId) {
        int count = view.memories(userId).size();
        return view.hasMemoryData(userId)
                ? Planned.of(List.of(new UserMemoriesDeleted(userId, view.nextVersion())), count)
                : Planned.nothing(0);
    }

    Planned<Boolean> saveMemoryEmbedding(MemoryEmbedding embedding) {
        return view.memory(embedding.userId(), embedding.memoryId()) == null ? Planned.nothing(false)
                : Planned.of(List.of(new EmbeddingSaved(embedding)), true);
    }

    private SessionHead existing(SessionKey key) {
        SessionHead h = view.head(key);
        if (h == null) {
            throw new IllegalStateException("No session " + describe(key) + "; create it with getOrCreateSession");
        }
        return h;
    }

    static String describe(SessionKey key) {
        return "session " + key.sessionId() + " of user " + key.userId();
    }
}
