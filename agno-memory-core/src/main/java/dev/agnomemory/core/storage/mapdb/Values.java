package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.mapdb.BinaryIn.MalformedDataException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The binary form of values in journal format 2 and in the index: compact (numbers and lengths take the bytes
 * their values need) and exact (every string and time reads back as written). MapDB's own value serializer is not
 * used: it cannot read records back (see docs/storage.md).
 */
final class Values {

    private static final Role[] ROLES = Role.values();

    private static final int HAS_TOOL_CALLS = 1;
    private static final int HAS_TOOL_CALL_ID = 1 << 1;
    private static final int HAS_TOOL_NAME = 1 << 2;
    private static final int IS_ERROR = 1 << 3;
    private static final int HAS_PAYLOAD = 1 << 4;
    /** The id is a UUID in canonical lower-case form, stored as 16 bytes instead of 36 characters. */
    private static final int UUID_ID = 1 << 5;

    private Values() {
    }

    // ---- messages ----

    static void writeMessage(BinaryOut out, Message m) {
        int flags = (m.toolCalls().isEmpty() ? 0 : HAS_TOOL_CALLS) | (m.toolCallId() == null ? 0 : HAS_TOOL_CALL_ID)
                | (m.toolName() == null ? 0 : HAS_TOOL_NAME) | (m.error() ? IS_ERROR : 0)
                | (m.payload() == null ? 0 : HAS_PAYLOAD);
        long[] uuid = Uuids.parse(m.id());
        if (uuid != null) {
            flags |= UUID_ID;
        }
        out.writeByte(flags);
        out.writeByte(m.role().ordinal());
        if (uuid != null) {
            out.writeLong(uuid[0]);
            out.writeLong(uuid[1]);
        } else {
            out.writeText(m.id());
        }
        out.writeText(m.content());
        if (!m.toolCalls().isEmpty()) {
            out.writeVarInt(m.toolCalls().size());
            for (ToolCall call : m.toolCalls()) {
                out.writeText(call.id());
                out.writeText(call.name());
                out.writeText(call.arguments());
            }
        }
        if (m.toolCallId() != null) {
            out.writeText(m.toolCallId());
        }
        if (m.toolName() != null) {
            out.writeText(m.toolName());
        }
        out.writeTime(m.createdAt());
        if (m.payload() != null) {
            out.writeText(m.payload());
        }
    }

    static Message readMessage(BinaryIn in) {
        int flags = in.readByte() & 0xFF;
        Role role = enumAt(ROLES, in.readByte(), "role");
        String id = (flags & UUID_ID) != 0 ? Uuids.format(in.readLong(), in.readLong()) : in.readRequiredText();
        String content = in.readRequiredText();
        List<ToolCall> toolCalls = List.of();
        if ((flags & HAS_TOOL_CALLS) != 0) {
            int n = in.readVarCount();
            toolCalls = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                toolCalls.add(new ToolCall(in.readText(), in.readRequiredText(), in.readRequiredText()));
            }
        }
        String toolCallId = (flags & HAS_TOOL_CALL_ID) != 0 ? in.readRequiredText() : null;
        String toolName = (flags & HAS_TOOL_NAME) != 0 ? in.readRequiredText() : null;
        Instant createdAt = in.readTime();
        String payload = (flags & HAS_PAYLOAD) != 0 ? in.readRequiredText() : null;
        try {
            return new Message(id, role, content, toolCalls, toolCallId, toolName, (flags & IS_ERROR) != 0, createdAt,
                    payload);
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException("invalid message: " + e.getMessage());
        }
    }

    static void writeMessages(BinaryOut out, List<Message> messages) {
        out.writeVarInt(messages.size());
        for (Message m : messages) {
            writeMessage(out, m);
        }
    }

    static List<Message> readMessages(BinaryIn in) {
        int n = in.readVarCount();
        List<Message> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(readMessage(in));
        }
        return out;
    }

    // ---- sessions and runs ----

    static void writeKey(BinaryOut out, SessionKey key) {
        out.writeText(key.userId());
        out.writeText(key.sessionId());
    }

    static SessionKey readKey(BinaryIn in) {
        String user = in.readRequiredText();
        String session = in.readRequiredText();
        try {
            return new SessionKey(user, session);
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException("invalid session key: " + e.getMessage());
        }
    }

    static void writeSummary(BinaryOut out, SessionSummary s) {
        out.writeText(s.summary());
        out.writeTexts(s.topics());
        out.writeSignedVarLong(s.lastRunSequence());
        out.writeTime(s.updatedAt());
    }

    static SessionSummary readSummary(BinaryIn in) {
        return new SessionSummary(in.readRequiredText(), in.readTexts(), in.readSignedVarLong(), in.readTime());
    }

    static void writeMetrics(BinaryOut out, RunMetrics m) {
        out.writeText(m.model().orElse(null));
        out.writeVarLong(m.inputTokens());
        out.writeVarLong(m.outputTokens());
        out.writeVarLong(m.totalTokens());
        out.writeVarInt(m.modelCalls());
        out.writeVarInt(m.toolCalls());
        out.writeText(m.finishReason().orElse(null));
    }

    static RunMetrics readMetrics(BinaryIn in) {
        try {
            return new RunMetrics(Optional.ofNullable(in.readText()), in.readVarLong(), in.readVarLong(),
                    in.readVarLong(), in.readVarInt(), in.readVarInt(), Optional.ofNullable(in.readText()));
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException("invalid metrics: " + e.getMessage());
        }
    }

    static void writeOutcome(BinaryOut out, RunOutcome o) {
        out.writeByte(o.status().ordinal());
        out.writeText(o.error().orElse(null));
        writeMetrics(out, o.metrics());
    }

    static RunOutcome readOutcome(BinaryIn in) {
        RunStatus status = enumAt(RunStatus.values(), in.readByte(), "run status");
        Optional<String> error = Optional.ofNullable(in.readText());
        try {
            return new RunOutcome(status, error, readMetrics(in));
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException("invalid run outcome: " + e.getMessage());
        }
    }

    static void writeRunState(BinaryOut out, RunState r) {
        out.writeText(r.runId());
        out.writeTime(r.startedAt());
        out.writeOptionalTime(r.finishedAt());
        out.writeByte(r.status().ordinal());
        out.writeText(r.error());
        writeMetrics(out, r.metrics());
    }

    static RunState readRunState(BinaryIn in) {
        return new RunState(in.readRequiredText(), in.readTime(), in.readOptionalTime(),
                enumAt(RunStatus.values(), in.readByte(), "run status"), in.readText(), readMetrics(in));
    }

    static void writeHead(BinaryOut out, SessionHead h) {
        writeKey(out, h.key());
        out.writeVarLong(h.sid());
        out.writeText(h.agentId());
        out.writeText(h.name());
        out.writeTime(h.createdAt());
        out.writeTime(h.updatedAt());
        out.writeVarLong(h.version());
        writeMetrics(out, h.metrics());
        out.writeVarLong(h.runCount());
        out.writeText(h.currentRunId());
        out.writeBoolean(h.currentRunFinished());
        out.writeVarInt(h.currentRunMessages());
        out.writeVarLong(h.journalBytes());
    }

    static SessionHead readHead(BinaryIn in) {
        return new SessionHead(readKey(in), in.readVarLong(), in.readText(), in.readText(), in.readTime(),
                in.readTime(), in.readVarLong(), readMetrics(in), in.readVarLong(), in.readText(), in.readBoolean(),
                in.readVarInt(), in.readVarLong());
    }

    static void writeDetails(BinaryOut out, SessionDetails d) {
        out.writeTextMap(d.data());
        out.writeText(d.state());
        out.writeBoolean(d.summary() != null);
        if (d.summary() != null) {
            writeSummary(out, d.summary());
        }
    }

    static SessionDetails readDetails(BinaryIn in) {
        return new SessionDetails(in.readTextMap(), in.readRequiredText(), in.readBoolean() ? readSummary(in) : null);
    }

    static void writePointer(BinaryOut out, Pointer p) {
        out.writeVarLong(p.segment());
        out.writeVarLong(p.offset());
        out.writeVarInt(p.length());
        out.writeInt(p.crc());
    }

    static Pointer readPointer(BinaryIn in) {
        return new Pointer(in.readVarLong(), in.readVarLong(), in.readVarInt(), in.readInt());
    }

    /** A run in the index: its header and, per message, the journal record holding it (not the message). */
    static void writeRunEntry(BinaryOut out, RunEntry run) {
        writeRunState(out, run.state());
        out.writeVarInt(run.messages().size());
        Pointer previous = null;
        for (MessageRef ref : run.messages()) {
            Pointer p = ref.record().pointer();
            // Messages appended in one call share their record: write it once.
            if (p.equals(previous)) {
                out.writeVarInt(ref.index() << 1 | 1);
            } else {
                out.writeVarInt(ref.index() << 1);
                writePointer(out, p);
            }
            previous = p;
        }
    }

    static RunEntry readRunEntry(BinaryIn in) {
        RunState state = readRunState(in);
        int n = in.readVarCount();
        List<MessageRef> messages = new ArrayList<>(n);
        Pointer previous = null;
        for (int i = 0; i < n; i++) {
            int tag = in.readVarInt();
            Pointer p;
            if ((tag & 1) != 0) {
                if (previous == null) {
                    throw new MalformedDataException("message refers to a previous record, but there is none");
                }
                p = previous;
            } else {
                p = readPointer(in);
            }
            messages.add(new MessageRef(null, p, tag >>> 1));
            previous = p;
        }
        return new RunEntry(state, messages);
    }

    // ---- memories ----

    static void writeMemory(BinaryOut out, UserMemory m) {
        out.writeText(m.memoryId());
        out.writeText(m.userId());
        out.writeText(m.memory());
        out.writeTexts(m.topics());
        out.writeText(m.input());
        out.writeTime(m.createdAt());
        out.writeTime(m.updatedAt());
        out.writeText(m.agentId().orElse(null));
    }

    static UserMemory readMemory(BinaryIn in) {
        try {
            return new UserMemory(in.readRequiredText(), in.readRequiredText(), in.readRequiredText(), in.readTexts(),
                    in.readText(), in.readTime(), in.readTime(), Optional.ofNullable(in.readText()));
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException("invalid memory: " + e.getMessage());
        }
    }

    static void writeMemoryChange(BinaryOut out, MemoryChange c) {
        out.writeText(c.userId());
        out.writeText(c.memoryId());
        out.writeByte(c.kind().ordinal());
        out.writeText(c.previousMemory().orElse(null));
        out.writeTexts(c.previousTopics());
        out.writeText(c.newMemory().orElse(null));
        out.writeTexts(c.newTopics());
        out.writeTime(c.at());
        out.writeByte(c.cause().source().ordinal());
        out.writeText(c.cause().sessionId().orElse(null));
        out.writeText(c.cause().runId().orElse(null));
    }

    static MemoryChange readMemoryChange(BinaryIn in) {
        String userId = in.readRequiredText();
        String memoryId = in.readRequiredText();
        MemoryChange.Kind kind = enumAt(MemoryChange.Kind.values(), in.readByte(), "memory change kind");
        Optional<String> previous = Optional.ofNullable(in.readText());
        List<String> previousTopics = in.readTexts();
        Optional<String> next = Optional.ofNullable(in.readText());
        List<String> nextTopics = in.readTexts();
        Instant at = in.readTime();
        MemoryChangeCause.Source source = enumAt(MemoryChangeCause.Source.values(), in.readByte(),
                "memory change source");
        try {
            MemoryChangeCause cause = new MemoryChangeCause(source, Optional.ofNullable(in.readText()),
                    Optional.ofNullable(in.readText()));
            return new MemoryChange(userId, memoryId, kind, previous, previousTopics, next, nextTopics, at, cause);
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException("invalid memory change: " + e.getMessage());
        }
    }

    static void writeEmbedding(BinaryOut out, MemoryEmbedding e) {
        out.writeText(e.userId());
        out.writeText(e.memoryId());
        out.writeText(e.model());
        out.writeText(e.memoryText());
        float[] v = e.vector();
        out.writeVarInt(v.length);
        for (float f : v) {
            out.writeInt(Float.floatToRawIntBits(f));
        }
    }

    static MemoryEmbedding readEmbedding(BinaryIn in) {
        String userId = in.readRequiredText();
        String memoryId = in.readRequiredText();
        String model = in.readRequiredText();
        String text = in.readRequiredText();
        int n = in.readVarInt();
        if (n <= 0 || n > (1 << 20)) {
            throw new MalformedDataException("bad vector length " + n);
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = Float.intBitsToFloat(in.readInt());
        }
        try {
            return new MemoryEmbedding(userId, memoryId, model, text, v);
        } catch (IllegalArgumentException e) {
            throw new MalformedDataException("invalid embedding: " + e.getMessage());
        }
    }

    static <E extends Enum<E>> E enumAt(E[] values, int ordinal, String what) {
        if (ordinal < 0 || ordinal >= values.length) {
            throw new MalformedDataException("bad " + what + " " + ordinal);
        }
        return values[ordinal];
    }
}
