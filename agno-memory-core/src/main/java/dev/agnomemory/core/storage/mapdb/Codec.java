package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.mapdb.BinaryIn.MalformedDataException;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CheckpointBegin;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CheckpointEnd;
import dev.agnomemory.core.storage.mapdb.JournalRecord.EmbeddingSaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryDeleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemorySaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MessageAppended;
import dev.agnomemory.core.storage.mapdb.JournalRecord.CountersRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoriesVersionRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryHistoryRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunFinished;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionRenamed;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionStateSet;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunStarted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionCreated;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDataSet;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDeleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SummarySaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.UserMemoriesDeleted;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The binary form of values and journal records (journal format version 1; records of newer kinds got new type
 * codes, and the older codes are still read). MapDB's own value serializer is not used: it
 * cannot read records back (see docs/storage.md), so every value is stored as bytes written here.
 */
final class Codec {

    private static final Role[] ROLES = Role.values();

    private Codec() {
    }

    // ---- values ----

    static void writeMessage(BinaryOut out, Message m) {
        out.writeString(m.id());
        out.writeByte(m.role().ordinal());
        out.writeString(m.content());
        out.writeInt(m.toolCalls().size());
        for (ToolCall call : m.toolCalls()) {
            out.writeString(call.id());
            out.writeString(call.name());
            out.writeString(call.arguments());
        }
        out.writeString(m.toolCallId());
        out.writeString(m.toolName());
        out.writeBoolean(m.error());
        out.writeInstant(m.createdAt());
        out.writeString(m.payload());
    }

    static Message readMessage(BinaryIn in) {
        String id = in.readRequiredString();
        int role = in.readByte();
        if (role < 0 || role >= ROLES.length) {
            throw new MalformedDataException("bad role " + role);
        }
        String content = in.readRequiredString();
        int calls = in.readCount();
        List<ToolCall> toolCalls = new ArrayList<>(calls);
        for (int i = 0; i < calls; i++) {
            toolCalls.add(new ToolCall(in.readString(), in.readRequiredString(), in.readRequiredString()));
        }
        return new Message(id, ROLES[role], content, toolCalls, in.readString(), in.readString(), in.readBoolean(),
                in.readInstant(), in.readString());
    }

    static byte[] encodeMessage(Message m) {
        BinaryOut out = new BinaryOut(64 + m.content().length());
        writeMessage(out, m);
        return out.toByteArray();
    }

    static Message decodeMessage(byte[] bytes) {
        BinaryIn in = new BinaryIn(bytes);
        Message m = readMessage(in);
        in.expectEnd();
        return m;
    }

    static void writeSummary(BinaryOut out, SessionSummary s) {
        out.writeString(s.summary());
        out.writeStrings(s.topics());
        out.writeLong(s.lastRunSequence());
        out.writeInstant(s.updatedAt());
    }

    static SessionSummary readSummary(BinaryIn in) {
        return new SessionSummary(in.readRequiredString(), in.readStrings(), in.readLong(), in.readInstant());
    }

    static void writeMemory(BinaryOut out, UserMemory m) {
        out.writeString(m.memoryId());
        out.writeString(m.userId());
        out.writeString(m.memory());
        out.writeStrings(m.topics());
        out.writeString(m.input());
        out.writeInstant(m.createdAt());
        out.writeInstant(m.updatedAt());
        out.writeString(m.agentId().orElse(null));
    }

    static UserMemory readMemory(BinaryIn in) {
        return new UserMemory(in.readRequiredString(), in.readRequiredString(), in.readRequiredString(),
                in.readStrings(), in.readString(), in.readInstant(), in.readInstant(),
                Optional.ofNullable(in.readString()));
    }

    /** A memory as journal records before agent scoping wrote it. */
    private static UserMemory readMemoryV1(BinaryIn in) {
        return new UserMemory(in.readRequiredString(), in.readRequiredString(), in.readRequiredString(),
                in.readStrings(), in.readString(), in.readInstant(), in.readInstant());
    }

    static void writeMemoryChange(BinaryOut out, MemoryChange c) {
        out.writeString(c.userId());
        out.writeString(c.memoryId());
        out.writeByte(c.kind().ordinal());
        out.writeString(c.previousMemory().orElse(null));
        out.writeStrings(c.previousTopics());
        out.writeString(c.newMemory().orElse(null));
        out.writeStrings(c.newTopics());
        out.writeInstant(c.at());
        out.writeByte(c.cause().source().ordinal());
        out.writeString(c.cause().sessionId().orElse(null));
        out.writeString(c.cause().runId().orElse(null));
    }

    static MemoryChange readMemoryChange(BinaryIn in) {
        String userId = in.readRequiredString();
        String memoryId = in.readRequiredString();
        MemoryChange.Kind kind = enumAt(MemoryChange.Kind.values(), in.readByte(), "memory change kind");
        Optional<String> previous = Optional.ofNullable(in.readString());
        List<String> previousTopics = in.readStrings();
        Optional<String> next = Optional.ofNullable(in.readString());
        List<String> nextTopics = in.readStrings();
        Instant at = in.readInstant();
        MemoryChangeCause.Source source = enumAt(MemoryChangeCause.Source.values(), in.readByte(),
                "memory change source");
        MemoryChangeCause cause = new MemoryChangeCause(source, Optional.ofNullable(in.readString()),
                Optional.ofNullable(in.readString()));
        return new MemoryChange(userId, memoryId, kind, previous, previousTopics, next, nextTopics, at, cause);
    }

    static byte[] encodeMemoryChange(MemoryChange c) {
        BinaryOut out = new BinaryOut();
        writeMemoryChange(out, c);
        return out.toByteArray();
    }

    static MemoryChange decodeMemoryChange(byte[] bytes) {
        BinaryIn in = new BinaryIn(bytes);
        MemoryChange c = readMemoryChange(in);
        in.expectEnd();
        return c;
    }

    static void writeMetrics(BinaryOut out, RunMetrics m) {
        out.writeString(m.model().orElse(null));
        out.writeLong(m.inputTokens());
        out.writeLong(m.outputTokens());
        out.writeLong(m.totalTokens());
        out.writeInt(m.modelCalls());
        out.writeInt(m.toolCalls());
        out.writeString(m.finishReason().orElse(null));
    }

    static RunMetrics readMetrics(BinaryIn in) {
        return new RunMetrics(Optional.ofNullable(in.readString()), in.readLong(), in.readLong(), in.readLong(),
                in.readInt(), in.readInt(), Optional.ofNullable(in.readString()));
    }

    static void writeOutcome(BinaryOut out, RunOutcome o) {
        out.writeByte(o.status().ordinal());
        out.writeString(o.error().orElse(null));
        writeMetrics(out, o.metrics());
    }

    static RunOutcome readOutcome(BinaryIn in) {
        return new RunOutcome(enumAt(RunStatus.values(), in.readByte(), "run status"),
                Optional.ofNullable(in.readString()), readMetrics(in));
    }

    private static <E extends Enum<E>> E enumAt(E[] values, int ordinal, String what) {
        if (ordinal < 0 || ordinal >= values.length) {
            throw new MalformedDataException("bad " + what + " " + ordinal);
        }
        return values[ordinal];
    }

    static byte[] encodeMemory(UserMemory m) {
        BinaryOut out = new BinaryOut();
        writeMemory(out, m);
        return out.toByteArray();
    }

    static UserMemory decodeMemory(byte[] bytes) {
        BinaryIn in = new BinaryIn(bytes);
        UserMemory m = readMemory(in);
        in.expectEnd();
        return m;
    }

    static void writeEmbedding(BinaryOut out, MemoryEmbedding e) {
        out.writeString(e.userId());
        out.writeString(e.memoryId());
        out.writeString(e.model());
        out.writeString(e.memoryText());
        float[] v = e.vector();
        out.writeInt(v.length);
        for (float f : v) {
            out.writeInt(Float.floatToRawIntBits(f));
        }
    }

    static MemoryEmbedding readEmbedding(BinaryIn in) {
        String userId = in.readRequiredString();
        String memoryId = in.readRequiredString();
        String model = in.readRequiredString();
        String text = in.readRequiredString();
        int n = in.readInt();
        if (n <= 0 || n > (1 << 20)) {
            throw new MalformedDataException("bad vector length " + n);
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Float.intBitsToFloat(in.readInt());
        }
        return new MemoryEmbedding(userId, memoryId, model, text, v);
    }

    static byte[] encodeEmbedding(MemoryEmbedding e) {
        BinaryOut out = new BinaryOut(64 + 4 * e.vector().length);
        writeEmbedding(out, e);
        return out.toByteArray();
    }

    static MemoryEmbedding decodeEmbedding(byte[] bytes) {
        BinaryIn in = new BinaryIn(bytes);
        MemoryEmbedding e = readEmbedding(in);
        in.expectEnd();
        return e;
    }

    static void writeSessionState(BinaryOut out, SessionState s) {
        out.writeLong(s.sid());
        out.writeString(s.agentId());
        out.writeString(s.name());
        out.writeInstant(s.createdAt());
        out.writeInstant(s.updatedAt());
        out.writeLong(s.version());
        out.writeStringMap(s.data());
        out.writeString(s.state());
        out.writeBoolean(s.summary() != null);
        if (s.summary() != null) {
            writeSummary(out, s.summary());
        }
        writeMetrics(out, s.metrics());
        out.writeLong(s.runCount());
        out.writeString(s.currentRunId());
        out.writeBoolean(s.currentRunFinished());
        out.writeInt(s.currentRunMessages());
    }

    static SessionState readSessionState(BinaryIn in) {
        long sid = in.readLong();
        String agentId = in.readString();
        String name = in.readString();
        Instant createdAt = in.readInstant();
        Instant updatedAt = in.readInstant();
        long version = in.readLong();
        Map<String, String> data = in.readStringMap();
        String state = in.readRequiredString();
        SessionSummary summary = in.readBoolean() ? readSummary(in) : null;
        RunMetrics metrics = readMetrics(in);
        return new SessionState(sid, agentId, name, createdAt, updatedAt, version, data, state, summary, metrics,
                in.readLong(), in.readString(), in.readBoolean(), in.readInt());
    }

    /**
     * A session as journal format 1 wrote it before names, state, versions and metrics. Its version is 0: the index
     * that restores it gives it a new one.
     */
    private static SessionState readSessionStateV1(BinaryIn in) {
        long sid = in.readLong();
        String agentId = in.readString();
        Instant createdAt = in.readInstant();
        Instant updatedAt = in.readInstant();
        Map<String, String> data = in.readStringMap();
        SessionSummary summary = in.readBoolean() ? readSummary(in) : null;
        return new SessionState(sid, agentId, null, createdAt, updatedAt, 0, data, Session.EMPTY_STATE, summary,
                RunMetrics.NONE, in.readLong(), in.readString(), in.readBoolean(), in.readInt());
    }

    static byte[] encodeSessionState(SessionState s) {
        BinaryOut out = new BinaryOut();
        writeSessionState(out, s);
        return out.toByteArray();
    }

    static SessionState decodeSessionState(byte[] bytes) {
        BinaryIn in = new BinaryIn(bytes);
        SessionState s = readSessionState(in);
        in.expectEnd();
        return s;
    }

    static void writeRunState(BinaryOut out, RunState r) {
        out.writeString(r.runId());
        out.writeInstant(r.startedAt());
        out.writeOptionalInstant(r.finishedAt());
        out.writeByte(r.status().ordinal());
        out.writeString(r.error());
        writeMetrics(out, r.metrics());
    }

    static RunState readRunState(BinaryIn in) {
        return new RunState(in.readRequiredString(), in.readInstant(), in.readOptionalInstant(),
                enumAt(RunStatus.values(), in.readByte(), "run status"), in.readString(), readMetrics(in));
    }

    /** A run header as journal format 1 wrote it: finished meant completed. */
    private static RunState readRunStateV1(BinaryIn in) {
        String runId = in.readRequiredString();
        Instant startedAt = in.readInstant();
        Instant finishedAt = in.readOptionalInstant();
        return new RunState(runId, startedAt, finishedAt, finishedAt == null ? RunStatus.RUNNING : RunStatus.COMPLETED,
                null, RunMetrics.NONE);
    }

    static byte[] encodeRunState(RunState r) {
        BinaryOut out = new BinaryOut(64);
        writeRunState(out, r);
        return out.toByteArray();
    }

    static RunState decodeRunState(byte[] bytes) {
        BinaryIn in = new BinaryIn(bytes);
        RunState r = readRunState(in);
        in.expectEnd();
        return r;
    }

    private static void writeKey(BinaryOut out, SessionKey key) {
        out.writeString(key.userId());
        out.writeString(key.sessionId());
    }

    private static SessionKey readKey(BinaryIn in) {
        return new SessionKey(in.readRequiredString(), in.readRequiredString());
    }

    // ---- journal records ----

    private static final int SESSION_CREATED = 1;
    private static final int SESSION_DATA_SET = 2;
    private static final int RUN_STARTED = 3;
    private static final int MESSAGE_APPENDED = 4;
    /** Codes 5, 8, 9, 11 and 12 are read from older journals only; their successors are written instead. */
    private static final int RUN_COMPLETED = 5;
    private static final int SUMMARY_SAVED = 6;
    private static final int SESSION_DELETED = 7;
    private static final int MEMORY_SAVED = 8;
    private static final int MEMORY_DELETED = 9;
    private static final int USER_MEMORIES_DELETED = 10;
    private static final int SESSION_RESTORED = 11;
    private static final int RUN_RESTORED = 12;
    private static final int CHECKPOINT_BEGIN = 13;
    private static final int CHECKPOINT_END = 14;
    private static final int EMBEDDING_SAVED = 15;
    private static final int RUN_FINISHED = 16;
    private static final int SESSION_STATE_SET = 17;
    private static final int SESSION_RENAMED = 18;
    private static final int MEMORY_SAVED_2 = 19;
    private static final int MEMORY_DELETED_2 = 20;
    private static final int SESSION_RESTORED_2 = 21;
    private static final int RUN_RESTORED_2 = 22;
    private static final int MEMORY_RESTORED = 23;
    private static final int MEMORY_HISTORY_RESTORED = 24;
    private static final int COUNTERS_RESTORED = 25;
    private static final int MEMORIES_VERSION_RESTORED = 26;

    static void writeRecord(BinaryOut out, JournalRecord record) {
        if (record instanceof SessionCreated r) {
            out.writeByte(SESSION_CREATED);
            writeKey(out, r.key());
            out.writeLong(r.sid());
            out.writeString(r.agentId());
            out.writeInstant(r.at());
        } else if (record instanceof SessionDataSet r) {
            out.writeByte(SESSION_DATA_SET);
            writeKey(out, r.key());
            out.writeStringMap(r.data());
            out.writeInstant(r.at());
        } else if (record instanceof RunStarted r) {
            out.writeByte(RUN_STARTED);
            writeKey(out, r.key());
            out.writeLong(r.runSequence());
            out.writeString(r.runId());
            out.writeInstant(r.at());
        } else if (record instanceof MessageAppended r) {
            out.writeByte(MESSAGE_APPENDED);
            writeKey(out, r.key());
            out.writeLong(r.runSequence());
            out.writeInt(r.index());
            writeMessage(out, r.message());
            out.writeInstant(r.at());
        } else if (record instanceof RunFinished r) {
            out.writeByte(RUN_FINISHED);
            writeKey(out, r.key());
            out.writeLong(r.runSequence());
            writeOutcome(out, r.outcome());
            out.writeInstant(r.at());
        } else if (record instanceof SessionStateSet r) {
            out.writeByte(SESSION_STATE_SET);
            writeKey(out, r.key());
            out.writeString(r.state());
            out.writeInstant(r.at());
        } else if (record instanceof SessionRenamed r) {
            out.writeByte(SESSION_RENAMED);
            writeKey(out, r.key());
            out.writeString(r.name());
            out.writeInstant(r.at());
        } else if (record instanceof SummarySaved r) {
            out.writeByte(SUMMARY_SAVED);
            writeKey(out, r.key());
            writeSummary(out, r.summary());
            out.writeInstant(r.at());
        } else if (record instanceof SessionDeleted r) {
            out.writeByte(SESSION_DELETED);
            writeKey(out, r.key());
        } else if (record instanceof MemorySaved r) {
            out.writeByte(MEMORY_SAVED_2);
            writeMemory(out, r.memory());
            writeOptionalChange(out, r.change());
        } else if (record instanceof EmbeddingSaved r) {
            out.writeByte(EMBEDDING_SAVED);
            writeEmbedding(out, r.embedding());
        } else if (record instanceof MemoryDeleted r) {
            out.writeByte(MEMORY_DELETED_2);
            out.writeString(r.userId());
            out.writeString(r.memoryId());
            writeOptionalChange(out, r.change());
        } else if (record instanceof UserMemoriesDeleted r) {
            out.writeByte(USER_MEMORIES_DELETED);
            out.writeString(r.userId());
        } else if (record instanceof SessionRestored r) {
            out.writeByte(SESSION_RESTORED_2);
            writeKey(out, r.key());
            writeSessionState(out, r.state());
        } else if (record instanceof RunRestored r) {
            out.writeByte(RUN_RESTORED_2);
            writeKey(out, r.key());
            out.writeLong(r.runSequence());
            writeRunState(out, r.run());
            out.writeInt(r.messages().size());
            for (Message m : r.messages()) {
                writeMessage(out, m);
            }
        } else if (record instanceof MemoryRestored r) {
            out.writeByte(MEMORY_RESTORED);
            writeMemory(out, r.memory());
        } else if (record instanceof MemoryHistoryRestored r) {
            out.writeByte(MEMORY_HISTORY_RESTORED);
            out.writeLong(r.sequence());
            writeMemoryChange(out, r.change());
        } else if (record instanceof MemoriesVersionRestored r) {
            out.writeByte(MEMORIES_VERSION_RESTORED);
            out.writeString(r.userId());
            out.writeLong(r.version());
        } else if (record instanceof CountersRestored r) {
            out.writeByte(COUNTERS_RESTORED);
            out.writeLong(r.nextSid());
            out.writeLong(r.nextVersion());
        } else if (record instanceof CheckpointBegin r) {
            out.writeByte(CHECKPOINT_BEGIN);
            out.writeLong(r.coveredLsn());
        } else if (record instanceof CheckpointEnd r) {
            out.writeByte(CHECKPOINT_END);
            out.writeLong(r.coveredLsn());
        } else {
            throw new IllegalArgumentException("unknown record " + record);
        }
    }

    private static void writeOptionalChange(BinaryOut out, MemoryChange change) {
        out.writeBoolean(change != null);
        if (change != null) {
            writeMemoryChange(out, change);
        }
    }

    private static MemoryChange readOptionalChange(BinaryIn in) {
        return in.readBoolean() ? readMemoryChange(in) : null;
    }

    static JournalRecord readRecord(BinaryIn in) {
        int type = in.readByte();
        JournalRecord record = switch (type) {
            case SESSION_CREATED -> new SessionCreated(readKey(in), in.readLong(), in.readString(), in.readInstant());
            case SESSION_DATA_SET -> new SessionDataSet(readKey(in), in.readStringMap(), in.readInstant());
            case RUN_STARTED -> new RunStarted(readKey(in), in.readLong(), in.readRequiredString(), in.readInstant());
            case MESSAGE_APPENDED -> new MessageAppended(readKey(in), in.readLong(), in.readInt(), readMessage(in),
                    in.readInstant());
            case RUN_COMPLETED -> new RunFinished(readKey(in), in.readLong(), RunOutcome.completed(),
                    in.readInstant());
            case RUN_FINISHED -> new RunFinished(readKey(in), in.readLong(), readOutcome(in), in.readInstant());
            case SESSION_STATE_SET -> new SessionStateSet(readKey(in), in.readRequiredString(), in.readInstant());
            case SESSION_RENAMED -> new SessionRenamed(readKey(in), in.readString(), in.readInstant());
            case SUMMARY_SAVED -> new SummarySaved(readKey(in), readSummary(in), in.readInstant());
            case SESSION_DELETED -> new SessionDeleted(readKey(in));
            case MEMORY_SAVED -> new MemorySaved(readMemoryV1(in), null);
            case MEMORY_SAVED_2 -> new MemorySaved(readMemory(in), readOptionalChange(in));
            case EMBEDDING_SAVED -> new EmbeddingSaved(readEmbedding(in));
            case MEMORY_DELETED -> new MemoryDeleted(in.readRequiredString(), in.readRequiredString(), null);
            case MEMORY_DELETED_2 -> new MemoryDeleted(in.readRequiredString(), in.readRequiredString(),
                    readOptionalChange(in));
            case USER_MEMORIES_DELETED -> new UserMemoriesDeleted(in.readRequiredString());
            case SESSION_RESTORED -> new SessionRestored(readKey(in), readSessionStateV1(in));
            case SESSION_RESTORED_2 -> new SessionRestored(readKey(in), readSessionState(in));
            case RUN_RESTORED, RUN_RESTORED_2 -> {
                SessionKey key = readKey(in);
                long sequence = in.readLong();
                RunState run = type == RUN_RESTORED ? readRunStateV1(in) : readRunState(in);
                int n = in.readCount();
                List<Message> messages = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    messages.add(readMessage(in));
                }
                yield new RunRestored(key, sequence, run, messages);
            }
            case MEMORY_RESTORED -> new MemoryRestored(readMemory(in));
            case MEMORY_HISTORY_RESTORED -> new MemoryHistoryRestored(in.readLong(), readMemoryChange(in));
            case COUNTERS_RESTORED -> new CountersRestored(in.readLong(), in.readLong());
            case MEMORIES_VERSION_RESTORED -> new MemoriesVersionRestored(in.readRequiredString(), in.readLong());
            case CHECKPOINT_BEGIN -> new CheckpointBegin(in.readLong());
            case CHECKPOINT_END -> new CheckpointEnd(in.readLong());
            default -> throw new MalformedDataException("unknown record type " + type);
        };
        in.expectEnd();
        return record;
    }
}
