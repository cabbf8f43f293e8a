package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.mapdb.BinaryIn.MalformedDataException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One change of the store as the journal keeps it (journal format 2). Records carry every derived value (session
 * number, run sequence, message index, version, time), so replaying them gives the same store every time, and a
 * record dropped by compaction changes nothing about the others.
 *
 * <p>Each record type is the one place for everything about it: its code and bytes ({@link #write}, and its
 * {@code read} in {@link #read}'s table), what it changes ({@link #apply}), and what compaction keeps of it
 * ({@link #note}, {@link #survivor}).
 */
sealed interface JournalRecord {

    /** @return the type code, the record's first byte */
    int code();

    /** Writes the fields after the code. */
    void write(BinaryOut out);

    /**
     * Applies the record.
     *
     * @param target the state to change
     * @param where the record's place in the journal, or null for a store without files
     */
    void apply(RecordTarget target, RecordRef where);

    /** @return whether the record removes content that must then be purged from the files */
    default boolean removesContent() {
        return false;
    }

    /** @return whether the record replaces a value whose older version compaction can drop */
    default boolean supersedes() {
        return false;
    }

    /** Compaction's first pass: notes what the record makes dead. */
    default void note(Liveness live, long ordinal) {
    }

    /**
     * Compaction's second pass.
     *
     * @return the record to keep (this one, or a smaller one that keeps what still matters), or null to drop it
     */
    JournalRecord survivor(Liveness live, long ordinal);

    /** Encodes the record: its code, then its fields. */
    static void writeRecord(BinaryOut out, JournalRecord record) {
        out.writeByte(record.code());
        record.write(out);
    }

    /**
     * Decodes one record.
     *
     * @throws MalformedDataException when the bytes are not a record this version knows
     */
    static JournalRecord read(BinaryIn in) {
        int code = in.readByte() & 0xFF;
        JournalRecord record = switch (code) {
            case SessionCreated.CODE -> SessionCreated.read(in);
            case RunStarted.CODE -> RunStarted.read(in);
            case MessagesAppended.CODE -> MessagesAppended.read(in);
            case RunFinished.CODE -> RunFinished.read(in);
            case SessionDataSet.CODE -> SessionDataSet.read(in);
            case SessionStateSet.CODE -> SessionStateSet.read(in);
            case SessionRenamed.CODE -> SessionRenamed.read(in);
            case SummarySaved.CODE -> SummarySaved.read(in);
            case SessionDeleted.CODE -> SessionDeleted.read(in);
            case MemorySaved.CODE -> MemorySaved.read(in);
            case MemoryDeleted.CODE -> MemoryDeleted.read(in);
            case UserMemoriesDeleted.CODE -> UserMemoriesDeleted.read(in);
            case EmbeddingSaved.CODE -> EmbeddingSaved.read(in);
            case CheckpointBegin.CODE -> CheckpointBegin.read(in);
            case CheckpointEnd.CODE -> CheckpointEnd.read(in);
            case Counters.CODE -> Counters.read(in);
            case SessionRestored.CODE -> SessionRestored.read(in);
            case RunRestored.CODE -> RunRestored.read(in);
            case MemoryRestored.CODE -> MemoryRestored.read(in);
            case MemoryHistoryRestored.CODE -> MemoryHistoryRestored.read(in);
            case MemoriesVersionRestored.CODE -> MemoriesVersionRestored.read(in);
            default -> throw new MalformedDataException("unknown record type " + code);
        };
        in.expectEnd();
        return record;
    }

    private static long bytes(RecordRef where) {
        return where == null ? 0 : where.length();
    }

    private static SessionHead requireHead(RecordTarget t, long sid) {
        SessionHead h = t.head(sid);
        if (h == null) {
            throw new MalformedDataException("record refers to unknown session number " + sid);
        }
        return h;
    }

    private static RunEntry requireRun(RecordTarget t, long sid, long sequence) {
        RunEntry r = t.run(sid, sequence);
        if (r == null) {
            throw new MalformedDataException("record refers to unknown run " + sequence + " of session number " + sid);
        }
        return r;
    }

    private static List<MessageRef> refs(List<Message> messages, RecordRef where) {
        List<MessageRef> out = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            out.add(new MessageRef(messages.get(i), where, i));
        }
        return out;
    }

    /** A record about one session: compaction keeps it while the session lives. */
    sealed interface OfSession extends JournalRecord {
        /** @return the session's number */
        long sid();

        @Override
        default JournalRecord survivor(Liveness live, long ordinal) {
            return live.sessionDeleted(sid()) ? null : this;
        }
    }

    /**
     * A record that sets one value of a session (its data, state, name or summary): compaction keeps only the last
     * of each kind for the session.
     */
    sealed interface SessionValue extends OfSession {
        @Override
        default boolean supersedes() {
            return true;
        }

        @Override
        default void note(Liveness live, long ordinal) {
            live.sessionValueSet(sid(), code(), ordinal);
        }

        @Override
        default JournalRecord survivor(Liveness live, long ordinal) {
            return live.isLastSessionValue(sid(), code(), ordinal) && !live.sessionDeleted(sid()) ? this : null;
        }
    }

    // ---- sessions and runs ----

    record SessionCreated(SessionKey key, long sid, String agentId, Instant at, long version) implements OfSession {
        static final int CODE = 1;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            Values.writeKey(out, key);
            out.writeVarLong(sid);
            out.writeText(agentId);
            out.writeTime(at);
            out.writeVarLong(version);
        }

        static SessionCreated read(BinaryIn in) {
            return new SessionCreated(Values.readKey(in), in.readVarLong(), in.readText(), in.readTime(),
                    in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.putHead(SessionHead.created(key, sid, agentId, at, version, bytes(where)));
            t.advanceCounters(sid, version);
        }
    }

    record RunStarted(long sid, long sequence, String runId, Instant at, long version) implements OfSession {
        static final int CODE = 2;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(sid);
            out.writeVarLong(sequence);
            out.writeText(runId);
            out.writeTime(at);
            out.writeVarLong(version);
        }

        static RunStarted read(BinaryIn in) {
            return new RunStarted(in.readVarLong(), in.readVarLong(), in.readRequiredText(), in.readTime(),
                    in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            SessionHead h = requireHead(t, sid);
            t.putRun(sid, sequence, RunEntry.started(runId, at));
            t.putRunId(sid, runId, sequence);
            t.putHead(h.withRunStarted(runId, at, version, bytes(where)));
            t.advanceCounters(sid, version);
        }
    }

    /** Messages appended to a run in one call: one record, so a crash keeps all of them or none. */
    record MessagesAppended(long sid, long sequence, int firstIndex, List<Message> messages, Instant at,
            long version) implements OfSession {
        static final int CODE = 3;

        public MessagesAppended {
            messages = List.copyOf(messages);
        }

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(sid);
            out.writeVarLong(sequence);
            out.writeVarInt(firstIndex);
            out.writeTime(at);
            out.writeVarLong(version);
            Values.writeMessages(out, messages);
        }

        static MessagesAppended read(BinaryIn in) {
            long sid = in.readVarLong();
            long sequence = in.readVarLong();
            int first = in.readVarInt();
            Instant at = in.readTime();
            long version = in.readVarLong();
            return new MessagesAppended(sid, sequence, first, Values.readMessages(in), at, version);
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            SessionHead h = requireHead(t, sid);
            RunEntry run = requireRun(t, sid, sequence);
            if (run.messages().size() != firstIndex) {
                throw new MalformedDataException("messages from index " + firstIndex + " appended to run " + sequence
                        + " of session number " + sid + ", which has " + run.messages().size());
            }
            t.putRun(sid, sequence, run.plus(refs(messages, where)));
            t.putHead(h.withMessagesAppended(messages.size(), at, version, bytes(where)));
            t.advanceCounters(sid, version);
        }
    }

    record RunFinished(long sid, long sequence, RunOutcome outcome, Instant at, long version)
            implements OfSession {
        static final int CODE = 4;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(sid);
            out.writeVarLong(sequence);
            Values.writeOutcome(out, outcome);
            out.writeTime(at);
            out.writeVarLong(version);
        }

        static RunFinished read(BinaryIn in) {
            return new RunFinished(in.readVarLong(), in.readVarLong(), Values.readOutcome(in), in.readTime(),
                    in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            SessionHead h = requireHead(t, sid);
            t.putRun(sid, sequence, requireRun(t, sid, sequence).finished(outcome, at));
            t.putHead(h.withRunFinished(outcome.metrics(), at, version, bytes(where)));
            t.advanceCounters(sid, version);
        }
    }

    record SessionDataSet(long sid, Map<String, String> data, Instant at, long version) implements SessionValue {
        static final int CODE = 5;

        public SessionDataSet {
            data = Map.copyOf(data);
        }

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(sid);
            out.writeTextMap(data);
            out.writeTime(at);
            out.writeVarLong(version);
        }

        static SessionDataSet read(BinaryIn in) {
            return new SessionDataSet(in.readVarLong(), in.readTextMap(), in.readTime(), in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            SessionHead h = requireHead(t, sid);
            t.putDetails(sid, t.details(sid).withData(data));
            t.putHead(h.touched(at, version, bytes(where)));
            t.advanceCounters(sid, version);
        }
    }

    record SessionStateSet(long sid, String state, Instant at, long version) implements SessionValue {
        static final int CODE = 6;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(sid);
            out.writeText(state);
            out.writeTime(at);
            out.writeVarLong(version);
        }

        static SessionStateSet read(BinaryIn in) {
            return new SessionStateSet(in.readVarLong(), in.readRequiredText(), in.readTime(), in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            SessionHead h = requireHead(t, sid);
            t.putDetails(sid, t.details(sid).withState(state));
            t.putHead(h.touched(at, version, bytes(where)));
            t.advanceCounters(sid, version);
        }
    }

    /** @param name null when the name is removed */
    record SessionRenamed(long sid, String name, Instant at, long version) implements SessionValue {
        static final int CODE = 7;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(sid);
            out.writeText(name);
            out.writeTime(at);
            out.writeVarLong(version);
        }

        static SessionRenamed read(BinaryIn in) {
            return new SessionRenamed(in.readVarLong(), in.readText(), in.readTime(), in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.putHead(requireHead(t, sid).withName(name, at, version, bytes(where)));
            t.advanceCounters(sid, version);
        }
    }

    record SummarySaved(long sid, SessionSummary summary, Instant at, long version) implements SessionValue {
        static final int CODE = 8;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(sid);
            Values.writeSummary(out, summary);
            out.writeTime(at);
            out.writeVarLong(version);
        }

        static SummarySaved read(BinaryIn in) {
            return new SummarySaved(in.readVarLong(), Values.readSummary(in), in.readTime(), in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            SessionHead h = requireHead(t, sid);
            t.putDetails(sid, t.details(sid).withSummary(summary));
            t.putHead(h.touched(at, version, bytes(where)));
            t.advanceCounters(sid, version);
        }
    }

    record SessionDeleted(SessionKey key, long sid) implements JournalRecord {
        static final int CODE = 9;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            Values.writeKey(out, key);
            out.writeVarLong(sid);
        }

        static SessionDeleted read(BinaryIn in) {
            return new SessionDeleted(Values.readKey(in), in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.deleteSession(key, sid);
        }

        @Override
        public boolean removesContent() {
            return true;
        }

        @Override
        public void note(Liveness live, long ordinal) {
            live.deleteSession(sid);
        }

        /** Nothing of a deleted session stays; the session numbers live on in the snapshot's {@link Counters}. */
        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            return null;
        }
    }

    // ---- memories ----

    /** @param change the history entry; null in records migrated from journals before memories had a history */
    record MemorySaved(UserMemory memory, MemoryChange change, long version) implements JournalRecord {
        static final int CODE = 10;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            Values.writeMemory(out, memory);
            out.writeBoolean(change != null);
            if (change != null) {
                Values.writeMemoryChange(out, change);
            }
            out.writeVarLong(version);
        }

        static MemorySaved read(BinaryIn in) {
            return new MemorySaved(Values.readMemory(in), in.readBoolean() ? Values.readMemoryChange(in) : null,
                    in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.putMemory(memory);
            t.setMemoriesVersion(memory.userId(), version);
            if (change != null) {
                t.putHistory(version, change);
            }
            t.advanceCounters(0, version);
        }

        @Override
        public boolean supersedes() {
            return true;
        }

        @Override
        public void note(Liveness live, long ordinal) {
            live.touchMemory(memory.userId(), memory.memoryId(), ordinal, false);
        }

        /** An older version of a memory that changed since lives on as its history entry only. */
        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            if (live.wipedAfter(memory.userId(), ordinal)) {
                return null;
            }
            if (live.lastMemoryTouch(memory.userId(), memory.memoryId()) == ordinal) {
                return this;
            }
            return change == null ? null : new MemoryHistoryRestored(version, change);
        }
    }

    /** @param change the history entry; null in records migrated from journals before memories had a history */
    record MemoryDeleted(String userId, String memoryId, MemoryChange change, long version) implements JournalRecord {
        static final int CODE = 11;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeText(userId);
            out.writeText(memoryId);
            out.writeBoolean(change != null);
            if (change != null) {
                Values.writeMemoryChange(out, change);
            }
            out.writeVarLong(version);
        }

        static MemoryDeleted read(BinaryIn in) {
            return new MemoryDeleted(in.readRequiredText(), in.readRequiredText(),
                    in.readBoolean() ? Values.readMemoryChange(in) : null, in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.removeMemory(userId, memoryId);
            t.setMemoriesVersion(userId, version);
            if (change != null) {
                t.putHistory(version, change);
            }
            t.advanceCounters(0, version);
        }

        @Override
        public boolean removesContent() {
            return true;
        }

        @Override
        public void note(Liveness live, long ordinal) {
            live.touchMemory(userId, memoryId, ordinal, true);
        }

        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            if (live.wipedAfter(userId, ordinal)) {
                return null;
            }
            if (live.lastMemoryTouch(userId, memoryId) == ordinal) {
                return this;
            }
            return change == null ? null : new MemoryHistoryRestored(version, change);
        }
    }

    record UserMemoriesDeleted(String userId, long version) implements JournalRecord {
        static final int CODE = 12;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeText(userId);
            out.writeVarLong(version);
        }

        static UserMemoriesDeleted read(BinaryIn in) {
            return new UserMemoriesDeleted(in.readRequiredText(), in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.wipeMemories(userId);
            t.setMemoriesVersion(userId, version);
            t.advanceCounters(0, version);
        }

        @Override
        public boolean removesContent() {
            return true;
        }

        @Override
        public void note(Liveness live, long ordinal) {
            live.wipeMemories(userId, ordinal);
        }

        /** What came before is dropped with it; the user's memories version stays. */
        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            return new MemoriesVersionRestored(userId, version);
        }
    }

    record EmbeddingSaved(MemoryEmbedding embedding) implements JournalRecord {
        static final int CODE = 13;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            Values.writeEmbedding(out, embedding);
        }

        static EmbeddingSaved read(BinaryIn in) {
            return new EmbeddingSaved(Values.readEmbedding(in));
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.putEmbedding(embedding);
        }

        @Override
        public boolean supersedes() {
            return true;
        }

        @Override
        public void note(Liveness live, long ordinal) {
            live.saveEmbedding(embedding.userId(), embedding.memoryId(), ordinal);
        }

        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            String user = embedding.userId();
            String id = embedding.memoryId();
            boolean current = live.lastEmbedding(user, id) == ordinal && live.lastMemoryDelete(user, id) < ordinal
                    && !live.wipedAfter(user, ordinal);
            return current ? this : null;
        }
    }

    // ---- checkpoints and snapshots ----

    /**
     * Written before an index is committed at the state after record {@code coveredLsn}: the live index
     * ({@code newIndex} false: if no {@link CheckpointEnd} follows, the commit may have been cut off halfway and the
     * index is not trusted), or a new index file built beside it by a rebuild or compaction ({@code newIndex} true).
     */
    record CheckpointBegin(long coveredLsn, boolean newIndex) implements JournalRecord {
        static final int CODE = 14;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(coveredLsn);
            out.writeBoolean(newIndex);
        }

        static CheckpointBegin read(BinaryIn in) {
            return new CheckpointBegin(in.readVarLong(), in.readBoolean());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
        }

        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            return null;
        }
    }

    /** The index for the state after record {@code coveredLsn} was committed completely. */
    record CheckpointEnd(long coveredLsn) implements JournalRecord {
        static final int CODE = 15;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(coveredLsn);
        }

        static CheckpointEnd read(BinaryIn in) {
            return new CheckpointEnd(in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
        }

        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            return null;
        }
    }

    /**
     * The store's counters, written last into a compacted journal, so numbers handed out before (session numbers,
     * versions) are never handed out again, even when the records that used the highest ones were dropped.
     */
    record Counters(long nextSid, long nextVersion) implements JournalRecord {
        static final int CODE = 16;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(nextSid);
            out.writeVarLong(nextVersion);
        }

        static Counters read(BinaryIn in) {
            return new Counters(in.readVarLong(), in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.advanceCounters(nextSid - 1, nextVersion - 1);
        }

        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            return null;
        }
    }

    /** A whole session as a format-1 journal's compaction wrote it; written by the format migration only. */
    record SessionRestored(SessionHead head, SessionDetails details) implements JournalRecord {
        static final int CODE = 17;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            Values.writeHead(out, head);
            Values.writeDetails(out, details);
        }

        static SessionRestored read(BinaryIn in) {
            return new SessionRestored(Values.readHead(in), Values.readDetails(in));
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.putHead(head.plusBytes(bytes(where)));
            t.putDetails(head.sid(), details);
            t.advanceCounters(head.sid(), head.version());
        }

        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            return live.sessionDeleted(head.sid()) ? null : this;
        }
    }

    /** A whole run as a format-1 journal's compaction wrote it; written by the format migration only. */
    record RunRestored(long sid, long sequence, RunState run, List<Message> messages) implements OfSession {
        static final int CODE = 18;

        public RunRestored {
            messages = List.copyOf(messages);
        }

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(sid);
            out.writeVarLong(sequence);
            Values.writeRunState(out, run);
            Values.writeMessages(out, messages);
        }

        static RunRestored read(BinaryIn in) {
            return new RunRestored(in.readVarLong(), in.readVarLong(), Values.readRunState(in),
                    Values.readMessages(in));
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.putRun(sid, sequence, new RunEntry(run, refs(messages, where)));
            t.putRunId(sid, run.runId(), sequence);
            t.putHead(requireHead(t, sid).plusBytes(bytes(where)));
        }
    }

    /** A memory without a new history entry or version; written by the format migration only. */
    record MemoryRestored(UserMemory memory) implements JournalRecord {
        static final int CODE = 19;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            Values.writeMemory(out, memory);
        }

        static MemoryRestored read(BinaryIn in) {
            return new MemoryRestored(Values.readMemory(in));
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.putMemory(memory);
        }

        @Override
        public void note(Liveness live, long ordinal) {
            live.touchMemory(memory.userId(), memory.memoryId(), ordinal, false);
        }

        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            return !live.wipedAfter(memory.userId(), ordinal)
                    && live.lastMemoryTouch(memory.userId(), memory.memoryId()) == ordinal ? this : null;
        }
    }

    /** One history entry of a memory, with the version that orders it: what compaction keeps of older versions. */
    record MemoryHistoryRestored(long version, MemoryChange change) implements JournalRecord {
        static final int CODE = 20;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeVarLong(version);
            Values.writeMemoryChange(out, change);
        }

        static MemoryHistoryRestored read(BinaryIn in) {
            return new MemoryHistoryRestored(in.readVarLong(), Values.readMemoryChange(in));
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.putHistory(version, change);
            t.advanceCounters(0, version);
        }

        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            return live.wipedAfter(change.userId(), ordinal) ? null : this;
        }
    }

    /** The version of a user's memories, also for users whose memories are all gone. */
    record MemoriesVersionRestored(String userId, long version) implements JournalRecord {
        static final int CODE = 21;

        @Override
        public int code() {
            return CODE;
        }

        @Override
        public void write(BinaryOut out) {
            out.writeText(userId);
            out.writeVarLong(version);
        }

        static MemoriesVersionRestored read(BinaryIn in) {
            return new MemoriesVersionRestored(in.readRequiredText(), in.readVarLong());
        }

        @Override
        public void apply(RecordTarget t, RecordRef where) {
            t.setMemoriesVersion(userId, version);
            t.advanceCounters(0, version);
        }

        @Override
        public JournalRecord survivor(Liveness live, long ordinal) {
            return this;
        }
    }
}
