package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
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
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunCompleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunStarted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionCreated;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDataSet;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDeleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionRestored;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SummarySaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.UserMemoriesDeleted;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of values and journal records (format version 1). MapDB's own value serializer is not used: it
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
    }

    static UserMemory readMemory(BinaryIn in) {
        return new UserMemory(in.readRequiredString(), in.readRequiredString(), in.readRequiredString(),
                in.readStrings(), in.readString(), in.readInstant(), in.readInstant());
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
        out.writeInstant(s.createdAt());
        out.writeInstant(s.updatedAt());
        out.writeStringMap(s.data());
        out.writeBoolean(s.summary() != null);
        if (s.summary() != null) {
            writeSummary(out, s.summary());
        }
        out.writeLong(s.runCount());
        out.writeString(s.currentRunId());
        out.writeBoolean(s.currentRunCompleted());
        out.writeInt(s.currentRunMessages());
    }

    static SessionState readSessionState(BinaryIn in) {
        long sid = in.readLong();
        String agentId = in.readString();
        var createdAt = in.readInstant();
        var updatedAt = in.readInstant();
        var data = in.readStringMap();
        SessionSummary summary = in.readBoolean() ? readSummary(in) : null;
        return new SessionState(sid, agentId, createdAt, updatedAt, data, summary, in.readLong(), in.readString(),
                in.readBoolean(), in.readInt());
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
    }

    static RunState readRunState(BinaryIn in) {
        return new RunState(in.readRequiredString(), in.readInstant(), in.readOptionalInstant());
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
        } else if (record instanceof RunCompleted r) {
            out.writeByte(RUN_COMPLETED);
            writeKey(out, r.key());
            out.writeLong(r.runSequence());
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
            out.writeByte(MEMORY_SAVED);
            writeMemory(out, r.memory());
        } else if (record instanceof EmbeddingSaved r) {
            out.writeByte(EMBEDDING_SAVED);
            writeEmbedding(out, r.embedding());
        } else if (record instanceof MemoryDeleted r) {
            out.writeByte(MEMORY_DELETED);
            out.writeString(r.userId());
            out.writeString(r.memoryId());
        } else if (record instanceof UserMemoriesDeleted r) {
            out.writeByte(USER_MEMORIES_DELETED);
            out.writeString(r.userId());
        } else if (record instanceof SessionRestored r) {
            out.writeByte(SESSION_RESTORED);
            writeKey(out, r.key());
            writeSessionState(out, r.state());
        } else if (record instanceof RunRestored r) {
            out.writeByte(RUN_RESTORED);
            writeKey(out, r.key());
            out.writeLong(r.runSequence());
            writeRunState(out, r.run());
            out.writeInt(r.messages().size());
            for (Message m : r.messages()) {
                writeMessage(out, m);
            }
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

    static JournalRecord readRecord(BinaryIn in) {
        int type = in.readByte();
        JournalRecord record = switch (type) {
            case SESSION_CREATED -> new SessionCreated(readKey(in), in.readLong(), in.readString(), in.readInstant());
            case SESSION_DATA_SET -> new SessionDataSet(readKey(in), in.readStringMap(), in.readInstant());
            case RUN_STARTED -> new RunStarted(readKey(in), in.readLong(), in.readRequiredString(), in.readInstant());
            case MESSAGE_APPENDED -> new MessageAppended(readKey(in), in.readLong(), in.readInt(), readMessage(in),
                    in.readInstant());
            case RUN_COMPLETED -> new RunCompleted(readKey(in), in.readLong(), in.readInstant());
            case SUMMARY_SAVED -> new SummarySaved(readKey(in), readSummary(in), in.readInstant());
            case SESSION_DELETED -> new SessionDeleted(readKey(in));
            case MEMORY_SAVED -> new MemorySaved(readMemory(in));
            case EMBEDDING_SAVED -> new EmbeddingSaved(readEmbedding(in));
            case MEMORY_DELETED -> new MemoryDeleted(in.readRequiredString(), in.readRequiredString());
            case USER_MEMORIES_DELETED -> new UserMemoriesDeleted(in.readRequiredString());
            case SESSION_RESTORED -> new SessionRestored(readKey(in), readSessionState(in));
            case RUN_RESTORED -> {
                SessionKey key = readKey(in);
                long sequence = in.readLong();
                RunState run = readRunState(in);
                int n = in.readCount();
                List<Message> messages = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    messages.add(readMessage(in));
                }
                yield new RunRestored(key, sequence, run, messages);
            }
            case CHECKPOINT_BEGIN -> new CheckpointBegin(in.readLong());
            case CHECKPOINT_END -> new CheckpointEnd(in.readLong());
            default -> throw new MalformedDataException("unknown record type " + type);
        };
        in.expectEnd();
        return record;
    }
}
