package dev.agnomemory.core.storage.postgres;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the model records from result sets whose columns are the lists below, in that order. Times come as
 * {@code extract(epoch from ...)} and their nanoseconds column (see {@link PgTime}), texts in {@link PgText}'s form.
 */
final class PgRows {

    static final String SESSION_COLUMNS = "s.user_id, s.session_id, s.agent_id, s.name, "
            + "extract(epoch from s.created_at), s.created_ns, extract(epoch from s.updated_at), s.updated_ns, "
            + "s.version, s.run_count, s.model, s.input_tokens, s.output_tokens, s.total_tokens, s.model_calls, "
            + "s.tool_calls, s.finish_reason, s.summary, s.summary_topics, s.summary_last_run, "
            + "extract(epoch from s.summary_updated_at), s.summary_updated_ns, s.state, s.data::text, s.id";

    static final String RUN_COLUMNS = "r.seq, r.run_id, extract(epoch from r.started_at), r.started_ns, "
            + "extract(epoch from r.finished_at), r.finished_ns, r.status, r.error, r.model, r.input_tokens, "
            + "r.output_tokens, r.total_tokens, r.model_calls, r.tool_calls, r.finish_reason";

    static final String MESSAGE_COLUMNS = "m.run_seq, m.idx, m.message_id, m.role, m.content, m.tool_calls::text, "
            + "m.tool_call_id, m.tool_name, m.error, extract(epoch from m.created_at), m.created_ns, m.payload";

    static final String MEMORY_COLUMNS = "u.memory_id, u.user_id, u.memory, u.topics, u.input, "
            + "extract(epoch from u.created_at), u.created_ns, extract(epoch from u.updated_at), u.updated_ns, "
            + "u.agent_id";

    static final String HISTORY_COLUMNS = "h.user_id, h.memory_id, h.kind, h.previous_memory, h.previous_topics, "
            + "h.new_memory, h.new_topics, extract(epoch from h.at), h.at_ns, h.cause, h.cause_session_id, "
            + "h.cause_run_id";

    private PgRows() {
    }

    /** A session row ({@link #SESSION_COLUMNS}). */
    static Session session(ResultSet rs) throws SQLException {
        SessionKey key = new SessionKey(text(rs, 1), text(rs, 2));
        Optional<SessionSummary> summary = Optional.empty();
        if (rs.getObject(20) != null) {
            summary = Optional.of(new SessionSummary(text(rs, 18), texts(rs, 19), rs.getLong(20), time(rs, 21)));
        }
        return new Session(key, Optional.ofNullable(text(rs, 3)), Optional.ofNullable(text(rs, 4)), time(rs, 5),
                time(rs, 7), rs.getLong(9), rs.getLong(10), metrics(rs, 11), summary, text(rs, 23),
                PgJson.readDataMap(rs.getString(24)));
    }

    /** The internal id of a session row ({@link #SESSION_COLUMNS}). */
    static long sessionId(ResultSet rs) throws SQLException {
        return rs.getLong(25);
    }

    /**
     * Runs with their messages from rows of {@link #RUN_COLUMNS} followed by {@link #MESSAGE_COLUMNS}, ordered by
     * run and message.
     */
    static List<Run> runs(SessionKey key, ResultSet rs) throws SQLException {
        List<Run> runs = new ArrayList<>();
        long current = -1;
        List<Message> messages = new ArrayList<>();
        Run header = null;
        while (rs.next()) {
            long seq = rs.getLong(1);
            if (header == null || seq != current) {
                if (header != null) {
                    runs.add(withMessages(header, messages));
                }
                header = runHeader(key, rs);
                current = seq;
                messages = new ArrayList<>();
            }
            if (rs.getObject(16) != null) {
                messages.add(message(rs, 16));
            }
        }
        if (header != null) {
            runs.add(withMessages(header, messages));
        }
        return runs;
    }

    private static Run runHeader(SessionKey key, ResultSet rs) throws SQLException {
        RunStatus status = RunStatus.valueOf(rs.getString(7));
        return new Run(text(rs, 2), key, rs.getLong(1), time(rs, 3), Optional.ofNullable(time(rs, 5)), List.of(),
                status, Optional.ofNullable(text(rs, 8)), metrics(rs, 9));
    }

    private static Run withMessages(Run h, List<Message> messages) {
        return new Run(h.runId(), h.session(), h.sequence(), h.startedAt(), h.finishedAt(), messages, h.status(),
                h.error(), h.metrics());
    }

    /** A message from {@link #MESSAGE_COLUMNS} starting at column {@code at}. */
    static Message message(ResultSet rs, int at) throws SQLException {
        Role role = Role.valueOf(rs.getString(at + 3));
        return new Message(text(rs, at + 2), role, text(rs, at + 4), PgJson.readToolCalls(rs.getString(at + 5)),
                text(rs, at + 6), text(rs, at + 7), rs.getBoolean(at + 8), time(rs, at + 9), text(rs, at + 11));
    }

    /** A memory row ({@link #MEMORY_COLUMNS}). */
    static UserMemory memory(ResultSet rs) throws SQLException {
        return new UserMemory(text(rs, 1), text(rs, 2), text(rs, 3), texts(rs, 4), text(rs, 5), time(rs, 6),
                time(rs, 8), Optional.ofNullable(text(rs, 10)));
    }

    /** A history row ({@link #HISTORY_COLUMNS}). */
    static MemoryChange change(ResultSet rs) throws SQLException {
        MemoryChangeCause cause = new MemoryChangeCause(MemoryChangeCause.Source.valueOf(rs.getString(10)),
                Optional.ofNullable(text(rs, 11)), Optional.ofNullable(text(rs, 12)));
        return new MemoryChange(text(rs, 1), text(rs, 2), MemoryChange.Kind.valueOf(rs.getString(3)),
                Optional.ofNullable(text(rs, 4)), texts(rs, 5), Optional.ofNullable(text(rs, 6)), texts(rs, 7),
                time(rs, 8), cause);
    }

    /** An embedding row: user_id, memory_id, model, memory_text, vector. */
    static MemoryEmbedding embedding(ResultSet rs) throws SQLException {
        Object[] boxed = (Object[]) rs.getArray(5).getArray();
        float[] vector = new float[boxed.length];
        for (int i = 0; i < boxed.length; i++) {
            vector[i] = ((Number) boxed[i]).floatValue();
        }
        return new MemoryEmbedding(text(rs, 1), text(rs, 2), text(rs, 3), text(rs, 4), vector);
    }

    /** Metrics from 7 columns starting at {@code at}: model, 3 token counts, model calls, tool calls, reason. */
    private static RunMetrics metrics(ResultSet rs, int at) throws SQLException {
        return new RunMetrics(Optional.ofNullable(text(rs, at)), rs.getLong(at + 1), rs.getLong(at + 2),
                rs.getLong(at + 3), rs.getInt(at + 4), rs.getInt(at + 5), Optional.ofNullable(text(rs, at + 6)));
    }

    static String text(ResultSet rs, int column) throws SQLException {
        return PgText.decode(rs.getString(column));
    }

    private static List<String> texts(ResultSet rs, int column) throws SQLException {
        java.sql.Array array = rs.getArray(column);
        return array == null ? List.of() : PgText.decodeAll((Object[]) array.getArray());
    }

    /** A time from its epoch column {@code column} and its nanoseconds column after it. */
    private static Instant time(ResultSet rs, int column) throws SQLException {
        return PgTime.instant(rs.getBigDecimal(column), rs.getInt(column + 1));
    }
}
