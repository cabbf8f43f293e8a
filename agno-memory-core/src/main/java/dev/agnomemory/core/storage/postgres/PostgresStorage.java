package dev.agnomemory.core.storage.postgres;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.internal.FencedWrites;
import dev.agnomemory.core.internal.JsonText;
import dev.agnomemory.core.internal.LeasedTurns;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.internal.TurnSettings;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import dev.agnomemory.core.storage.SessionTurns;
import dev.agnomemory.core.storage.StorageException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import javax.sql.DataSource;

/**
 * A {@link MemoryStorage} in PostgreSQL, for several application instances sharing one store.
 *
 * <pre>{@code
 * HikariDataSource pool = new HikariDataSource();                  // any DataSource; the caller owns it
 * pool.setJdbcUrl("jdbc:postgresql://db:5432/app");
 * try (PostgresStorage storage = PostgresStorage.builder().dataSource(pool).build()) {
 *     storage.getOrCreateSession(SessionKey.of("alice", "s1"), "support-agent");
 * }
 * }</pre>
 *
 * <p>How it keeps the contract (details in {@code docs/postgres.md}):
 * <ul>
 *   <li><b>Schema.</b> Created on first use in the schema {@link Builder#schema(String)} (default
 *       {@code agno_memory}), and checked: a newer schema, tables that are not agno-memory's, an old server or a
 *       non-UTF8 database are refused with a {@link PostgresSchemaException} without changing anything; an older
 *       schema is migrated.</li>
 *   <li><b>One row per message.</b> Appending is one call of a server function (one round trip), whatever the
 *       session's length; reading the last N runs is one indexed query; no operation rewrites a session.</li>
 *   <li><b>Per-session serialization across instances.</b> Every write to a session locks its row first, checks
 *       the run rules and writes in one transaction; positions are unique by primary key.</li>
 *   <li><b>Turns across instances</b> ({@link #turns()}): a lease row per held turn, taken and renewed by the
 *       server's clock, waiters in one line across instances woken by {@code LISTEN/NOTIFY} (one connection per
 *       storage, from the first wait on) with polling as the fallback; writes through a turn carry its epoch,
 *       checked under the session's row lock ({@code PgTurns}, {@code docs/postgres.md}).</li>
 *   <li><b>Durable.</b> A write that returns has committed with {@code synchronous_commit} at least {@code on}
 *       (the functions turn it on for their own transaction when the server or role has it off).</li>
 *   <li><b>Lossless.</b> Texts and times are stored as {@link PgText} and {@link PgTime} describe; times outside
 *       4714 BC to 294246 AD are refused.</li>
 *   <li><b>Deletes.</b> Rows are deleted at once; {@link #purge()} vacuums the tables so that PostgreSQL reuses
 *       the space (see its Javadoc for what that does and does not erase).</li>
 *   <li><b>Failures.</b> A failed statement or a lost connection is a {@link StorageException} naming the
 *       operation and the session or user; nothing is retried (a write may or may not have committed), and the
 *       next call borrows a fresh connection from the pool.</li>
 * </ul>
 *
 * <p>Thread-safe. Holds no connection between calls, except the one connection of the turn listener once a call
 * has waited for a session's turn ({@link Builder#turnNotifications(boolean)}). {@link #close()} does not close the
 * data source.
 */
public final class PostgresStorage implements MemoryStorage {

    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final int RUN_PAGE = 64;

    private final PgConnections db;
    private final Clock clock;
    private final String schema;
    private final String q;
    private final PgTurns leases;
    private final LeasedTurns turns;
    private final AtomicBoolean closed = new AtomicBoolean();

    private PostgresStorage(Builder b) {
        this.db = new PgConnections(b.dataSource, b.queryTimeout);
        this.clock = b.clock;
        this.schema = b.schema;
        this.q = "\"" + b.schema + "\".";
        new SchemaInstaller(schema, "\"" + schema + "\"", b.createSchema).install(db);
        this.leases = new PgTurns(db, b.dataSource, schema, q, b.turnSettings, b.turnNotifications);
        this.turns = new LeasedTurns("PostgreSQL schema " + schema, leases, this, new Fenced(), b.turnSettings);
    }

    /** @return a builder; {@link Builder#dataSource(DataSource)} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the schema this storage uses */
    public String schema() {
        return schema;
    }

    /** @return the data source this storage borrows its connections from (the caller's; never closed here) */
    public DataSource dataSource() {
        return db.dataSource();
    }

    // ---- sessions ----

    @Override
    public Session getOrCreateSession(SessionKey key, String agentId) {
        return createSession(key, agentId, null);
    }

    private Session createSession(SessionKey key, String agentId, Long fence) {
        Require.notNull(key, "key");
        if (agentId != null) {
            Require.notBlank(agentId, "agentId");
        }
        Instant now = clock.instant();
        return call("Creating " + describe(key), c -> {
            try (PreparedStatement s = prepare(c, "SELECT " + PgRows.SESSION_COLUMNS + " FROM " + q
                    + (fence == null ? "create_session(?, ?, ?, ?::timestamptz, ?) s"
                            : "create_session_in_turn(?, ?, ?, ?::timestamptz, ?, ?) s"))) {
                keyParams(s, 1, key);
                s.setString(3, PgText.encode(agentId));
                timeParams(s, 4, now, "the clock's time");
                if (fence != null) {
                    s.setLong(6, fence);
                }
                Optional<Session> session = single(s, PgRows::session);
                if (session.isEmpty()) { // only the fenced function returns none
                    throw stale(c, key, fence);
                }
                return session.get();
            }
        });
    }

    @Override
    public Optional<Session> session(SessionKey key) {
        Require.notNull(key, "key");
        return call("Reading " + describe(key), c -> readSession(c, key, ""));
    }

    @Override
    public OptionalLong sessionVersion(SessionKey key) {
        Require.notNull(key, "key");
        return call("Reading the version of " + describe(key), c -> {
            try (PreparedStatement s = prepare(c, "SELECT version FROM " + q
                    + "sessions WHERE user_id = ? AND session_id = ?")) {
                keyParams(s, 1, key);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
                }
            }
        });
    }

    @Override
    public Optional<Session> updateSessionData(SessionKey key, UnaryOperator<Map<String, String>> update) {
        return updateSessionData(key, update, null);
    }

    private Optional<Session> updateSessionData(SessionKey key, UnaryOperator<Map<String, String>> update,
            Long fence) {
        Require.notNull(key, "key");
        Require.notNull(update, "update");
        return updateSession(key, fence, "data", current -> {
            Map<String, String> data = Require.copyOf(Require.notNull(update.apply(current.data()), "updated data"),
                    "updated data");
            return data.equals(current.data()) ? null : PgJson.dataMap(data);
        });
    }

    @Override
    public Optional<Session> updateSessionState(SessionKey key, UnaryOperator<String> update) {
        return updateSessionState(key, update, null);
    }

    private Optional<Session> updateSessionState(SessionKey key, UnaryOperator<String> update, Long fence) {
        Require.notNull(key, "key");
        Require.notNull(update, "update");
        return updateSession(key, fence, "state", current -> {
            String state = JsonText.requireObject(update.apply(current.state()), "updated state");
            return state.equals(current.state()) ? null : PgText.encode(state);
        });
    }

    @Override
    public Optional<Session> renameSession(SessionKey key, String name) {
        return renameSession(key, name, null);
    }

    private Optional<Session> renameSession(SessionKey key, String name, Long fence) {
        Require.notNull(key, "key");
        if (name != null) {
            Require.notBlank(name, "name");
        }
        Instant now = clock.instant();
        if (fence == null) {
            return call("Renaming " + describe(key), c -> callUpdateSession(c, key, null, "name",
                    PgText.encode(name), now));
        }
        // As updateSession: the session's row lock, then the fence under the turn row's share lock.
        return inTransaction("Renaming " + describe(key), c -> {
            Optional<Session> current = readSession(c, key, " FOR UPDATE");
            requireCurrent(c, key, fence);
            return current.isEmpty() ? current
                    : callUpdateSession(c, key, fence, "name", PgText.encode(name), now);
        });
    }

    /**
     * A read-modify-write in one transaction: the session row is locked ({@code SELECT ... FOR UPDATE}), a fence
     * checked (under the turn row's share lock, taken after the session's as in every write), {@code change}
     * computes the new stored value from the current session (null for no change), and the function writes it. The
     * lock means {@code change} runs once per call here; the contract allows more.
     */
    private Optional<Session> updateSession(SessionKey key, Long fence, String field,
            Function<Session, String> change) {
        return inTransaction("Updating the " + field + " of " + describe(key), c -> {
            Optional<Session> current = readSession(c, key, " FOR UPDATE");
            requireCurrent(c, key, fence);
            if (current.isEmpty()) {
                return current;
            }
            String value = change.apply(current.get());
            if (value == null) {
                return current;
            }
            return callUpdateSession(c, key, fence, field, value, clock.instant());
        });
    }

    private Optional<Session> callUpdateSession(Connection c, SessionKey key, Long fence, String field,
            String value, Instant now) throws SQLException {
        // A fence was checked by the caller's requireCurrent, under the turn row's share lock that this
        // transaction holds until it commits. The row update_session returns cannot tell: since schema version 2
        // only lock_session's copy carries the current epoch, a row the UPDATE returns has the column's 0.
        try (PreparedStatement s = prepare(c, "SELECT " + PgRows.SESSION_COLUMNS + " FROM " + q
                + "update_session(?, ?, ?, ?, ?, ?::jsonb, ?::timestamptz, ?) s")) {
            keyParams(s, 1, key);
            fenceParam(s, 3, fence);
            s.setString(4, field);
            s.setString(5, field.equals("data") ? null : value);
            s.setString(6, field.equals("data") ? value : null);
            timeParams(s, 7, now, "the clock's time");
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    requireCurrent(c, key, fence);
                    return Optional.empty();
                }
                return Optional.of(PgRows.session(rs));
            }
        }
    }

    @Override
    public List<Session> sessions(SessionFilter filter) {
        Require.notNull(filter, "filter");
        StringBuilder sql = new StringBuilder("SELECT ").append(PgRows.SESSION_COLUMNS).append(" FROM ").append(q)
                .append("sessions s");
        List<String> params = new ArrayList<>();
        String where = " WHERE ";
        if (filter.userId().isPresent()) {
            sql.append(where).append("s.user_id = ?");
            params.add(filter.userId().get());
            where = " AND ";
        }
        if (filter.agentId().isPresent()) {
            sql.append(where).append("s.agent_id = ?");
            params.add(filter.agentId().get());
        }
        sql.append(" ORDER BY s.updated_at DESC, s.updated_ns DESC, s.user_id, s.session_id OFFSET ? LIMIT ?");
        return call("Listing sessions " + describe(filter), c -> {
            try (PreparedStatement s = prepare(c, sql.toString())) {
                int i = 1;
                for (String p : params) {
                    s.setString(i++, PgText.encode(p));
                }
                s.setLong(i++, filter.offset());
                s.setLong(i, filter.limit());
                return list(s, PgRows::session);
            }
        });
    }

    @Override
    public boolean deleteSession(SessionKey key) {
        return deleteSession(key, null);
    }

    private boolean deleteSession(SessionKey key, Long fence) {
        Require.notNull(key, "key");
        return call("Deleting " + describe(key), c -> {
            try (PreparedStatement s = prepare(c, "SELECT " + q + "delete_session(?, ?, ?)")) {
                keyParams(s, 1, key);
                fenceParam(s, 3, fence);
                String outcome = single(s, rs -> rs.getString(1)).orElseThrow();
                checkTurn(c, outcome, key, fence);
                return "OK".equals(outcome);
            }
        });
    }

    // ---- runs ----

    @Override
    public List<MessagePosition> appendMessages(SessionKey key, String runId, List<Message> messages) {
        return appendMessages(key, runId, messages, null);
    }

    private List<MessagePosition> appendMessages(SessionKey key, String runId, List<Message> messages, Long fence) {
        Require.notNull(key, "key");
        Require.notBlank(runId, "runId");
        List<Message> batch = Require.nonEmptyCopyOf(messages, "messages");
        Instant now = clock.instant();
        return call(describeAppend(key, runId, batch), c -> appendMessages(c, key, runId, batch, fence, now));
    }

    private static String describeAppend(SessionKey key, String runId, List<Message> batch) {
        return "Appending " + (batch.size() == 1 ? "a message" : batch.size() + " messages") + " to run " + runId
                + " of " + describe(key);
    }

    /** One call of {@code append_messages} on {@code c}: its own transaction in autocommit, or part of one. */
    private List<MessagePosition> appendMessages(Connection c, SessionKey key, String runId, List<Message> batch,
            Long fence, Instant now) throws SQLException {
        int n = batch.size();
        String[] ids = new String[n];
        String[] roles = new String[n];
        String[] contents = new String[n];
        String[] toolCalls = new String[n];
        String[] toolCallIds = new String[n];
        String[] toolNames = new String[n];
        Boolean[] errors = new Boolean[n];
        String[] created = new String[n];
        Short[] createdNs = new Short[n];
        String[] payloads = new String[n];
        for (int i = 0; i < n; i++) {
            Message m = batch.get(i);
            ids[i] = PgText.encode(m.id());
            roles[i] = m.role().name();
            contents[i] = PgText.encode(m.content());
            toolCalls[i] = PgJson.toolCalls(m.toolCalls());
            toolCallIds[i] = PgText.encode(m.toolCallId());
            toolNames[i] = PgText.encode(m.toolName());
            errors[i] = m.error();
            created[i] = PgTime.timestamp(m.createdAt(), "createdAt of message " + i);
            createdNs[i] = PgTime.nanos(m.createdAt());
            payloads[i] = PgText.encode(m.payload());
        }
        try (PreparedStatement s = prepare(c, "SELECT * FROM " + q + "append_messages(?, ?, ?, ?::timestamptz, "
                + "?, ?, ?, ?, ?, ?::jsonb[], ?, ?, ?, ?::timestamptz[], ?, ?)")) {
            keyParams(s, 1, key);
            s.setString(3, PgText.encode(runId));
            timeParams(s, 4, now, "the clock's time");
            fenceParam(s, 6, fence);
            s.setArray(7, c.createArrayOf("text", ids));
            s.setArray(8, c.createArrayOf("text", roles));
            s.setArray(9, c.createArrayOf("text", contents));
            s.setArray(10, c.createArrayOf("text", toolCalls));
            s.setArray(11, c.createArrayOf("text", toolCallIds));
            s.setArray(12, c.createArrayOf("text", toolNames));
            s.setArray(13, c.createArrayOf("bool", errors));
            s.setArray(14, c.createArrayOf("text", created));
            s.setArray(15, c.createArrayOf("int2", createdNs));
            s.setArray(16, c.createArrayOf("text", payloads));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                checkTurn(c, rs.getString(1), key, fence);
                requireOk(rs.getString(1), key, runId, PgText.decode(rs.getString(4)));
                long seq = rs.getLong(2);
                int first = rs.getInt(3);
                List<MessagePosition> positions = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    positions.add(new MessagePosition(seq, first + i));
                }
                return List.copyOf(positions);
            }
        }
    }

    @Override
    public void finishRun(SessionKey key, String runId, RunOutcome outcome) {
        finishRun(key, runId, outcome, null);
    }

    private void finishRun(SessionKey key, String runId, RunOutcome outcome, Long fence) {
        Require.notNull(key, "key");
        Require.notBlank(runId, "runId");
        Require.notNull(outcome, "outcome");
        Instant now = clock.instant();
        call("Finishing run " + runId + " of " + describe(key), c -> {
            finishRun(c, key, runId, outcome, fence, now);
            return null;
        });
    }

    /** One call of {@code finish_run} on {@code c}: its own transaction in autocommit, or part of one. */
    private void finishRun(Connection c, SessionKey key, String runId, RunOutcome outcome, Long fence, Instant now)
            throws SQLException {
        RunMetrics m = outcome.metrics();
        try (PreparedStatement s = prepare(c, "SELECT * FROM " + q + "finish_run(?, ?, ?, ?, ?, ?, ?, ?, ?, "
                + "?, ?, ?, ?, ?::timestamptz, ?)")) {
            keyParams(s, 1, key);
            s.setString(3, PgText.encode(runId));
            fenceParam(s, 4, fence);
            s.setString(5, outcome.status().name());
            s.setString(6, PgText.encode(outcome.error().orElse(null)));
            s.setString(7, PgText.encode(m.model().orElse(null)));
            s.setLong(8, m.inputTokens());
            s.setLong(9, m.outputTokens());
            s.setLong(10, m.totalTokens());
            s.setInt(11, m.modelCalls());
            s.setInt(12, m.toolCalls());
            s.setString(13, PgText.encode(m.finishReason().orElse(null)));
            timeParams(s, 14, now, "the clock's time");
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                checkTurn(c, rs.getString(1), key, fence);
                requireOk(rs.getString(1), key, runId, PgText.decode(rs.getString(2)));
            }
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code append_messages} and {@code finish_run} in one transaction: one commit, and a failure of either
     * rolls both back.
     */
    @Override
    public List<MessagePosition> finishRun(SessionKey key, String runId, List<Message> lastMessages,
            RunOutcome outcome) {
        return finishRun(key, runId, lastMessages, outcome, null);
    }

    private List<MessagePosition> finishRun(SessionKey key, String runId, List<Message> lastMessages,
            RunOutcome outcome, Long fence) {
        Require.notNull(key, "key");
        Require.notBlank(runId, "runId");
        List<Message> batch = Require.nonEmptyCopyOf(lastMessages, "lastMessages");
        Require.notNull(outcome, "outcome");
        Instant now = clock.instant();
        return inTransaction(describeAppend(key, runId, batch) + " and finishing it", c -> {
            List<MessagePosition> positions = appendMessages(c, key, runId, batch, fence, now);
            finishRun(c, key, runId, outcome, fence, now);
            return positions;
        });
    }

    @Override
    public List<Run> lastRuns(SessionKey key, int n) {
        Require.notNull(key, "key");
        Require.positive(n, "n");
        // the last n runs are the sequences from run_count - n: one range of the runs' and messages' keys
        return readRuns("Reading the last " + n + " runs of " + describe(key), key, "JOIN " + q + "runs r ON "
                + "r.session = s.id AND r.seq >= s.run_count - ?", null, n);
    }

    @Override
    public List<Run> lastCompletedRuns(SessionKey key, int n) {
        Require.notNull(key, "key");
        Require.positive(n, "n");
        // completed runs are not contiguous: walk the completed-runs index backwards
        return readRuns("Reading the last " + n + " completed runs of " + describe(key), key, "CROSS JOIN LATERAL "
                + "(SELECT * FROM " + q + "runs r WHERE r.session = s.id AND r.status = 'COMPLETED' ORDER BY r.seq "
                + "DESC LIMIT ?) r", null, n);
    }

    @Override
    public Stream<Run> runs(SessionKey key) {
        Require.notNull(key, "key");
        Optional<Long> id = call("Reading " + describe(key), c -> {
            try (PreparedStatement s = prepare(c, "SELECT id FROM " + q
                    + "sessions WHERE user_id = ? AND session_id = ?")) {
                keyParams(s, 1, key);
                return single(s, rs -> rs.getLong(1));
            }
        });
        if (id.isEmpty()) {
            return Stream.empty();
        }
        long sessionId = id.get();
        return StreamSupport.stream(new Spliterators.AbstractSpliterator<Run>(Long.MAX_VALUE,
                Spliterator.ORDERED | Spliterator.NONNULL) {
            private long next;
            private List<Run> page = List.of();
            private int position;

            @Override
            public boolean tryAdvance(Consumer<? super Run> action) {
                if (position == page.size()) {
                    // keyed by the id seen at the start too, so a deleted and re-created session is not spliced in
                    page = readRuns("Reading runs " + next + " and later of " + describe(key), key, "JOIN " + q
                            + "runs r ON r.session = s.id AND r.seq >= ? AND r.seq < ?", sessionId, next,
                            next + RUN_PAGE);
                    position = 0;
                    if (page.isEmpty()) {
                        return false;
                    }
                    next = page.get(page.size() - 1).sequence() + 1;
                }
                action.accept(page.get(position++));
                return true;
            }
        }, false);
    }

    /**
     * One indexed query: the session by key (and internal id, when given), the runs that {@code runs} joins with
     * its parameters {@code runParams}, and their messages; oldest first.
     */
    private List<Run> readRuns(String what, SessionKey key, String runs, Long sessionId, long... runParams) {
        String sql = "SELECT " + PgRows.RUN_COLUMNS + ", " + PgRows.MESSAGE_COLUMNS + " FROM " + q + "sessions s "
                + runs + " LEFT JOIN " + q + "messages m ON m.session = s.id AND m.run_seq = r.seq "
                + "WHERE s.user_id = ? AND s.session_id = ?" + (sessionId == null ? "" : " AND s.id = ?")
                + " ORDER BY r.seq, m.idx";
        return call(what, c -> {
            try (PreparedStatement s = prepare(c, sql)) {
                int i = 1;
                for (long p : runParams) {
                    s.setLong(i++, p);
                }
                keyParams(s, i, key);
                if (sessionId != null) {
                    s.setLong(i + 2, sessionId);
                }
                try (ResultSet rs = s.executeQuery()) {
                    return PgRows.runs(key, rs);
                }
            }
        });
    }

    @Override
    public List<Message> messagesBetween(SessionKey key, MessagePosition from, MessagePosition to) {
        Require.notNull(key, "key");
        Require.notNull(from, "from");
        Require.notNull(to, "to");
        if (to.compareTo(from) < 0) {
            throw new IllegalArgumentException("to (" + to + ") must not be before from (" + from + ")");
        }
        return call("Reading messages " + from + " to " + to + " of " + describe(key), c -> {
            try (PreparedStatement s = prepare(c, "SELECT " + PgRows.MESSAGE_COLUMNS + " FROM " + q + "sessions s "
                    + "JOIN " + q + "messages m ON m.session = s.id WHERE s.user_id = ? AND s.session_id = ? "
                    + "AND (m.run_seq, m.idx) >= (?, ?) AND (m.run_seq, m.idx) <= (?, ?) ORDER BY m.run_seq, m.idx")) {
                keyParams(s, 1, key);
                s.setLong(3, from.runSequence());
                s.setInt(4, from.index());
                s.setLong(5, to.runSequence());
                s.setInt(6, to.index());
                return list(s, rs -> PgRows.message(rs, 1));
            }
        });
    }

    // ---- summaries ----

    @Override
    public boolean saveSummary(SessionKey key, SessionSummary summary) {
        return saveSummary(key, summary, null);
    }

    private boolean saveSummary(SessionKey key, SessionSummary summary, Long fence) {
        Require.notNull(key, "key");
        Require.notNull(summary, "summary");
        Instant now = clock.instant();
        return call("Saving the summary of " + describe(key), c -> {
            try (PreparedStatement s = prepare(c, "SELECT " + q + "save_summary(?, ?, ?, ?, ?, ?, "
                    + "?::timestamptz, ?, ?::timestamptz, ?)")) {
                keyParams(s, 1, key);
                fenceParam(s, 3, fence);
                s.setString(4, PgText.encode(summary.summary()));
                s.setArray(5, c.createArrayOf("text", PgText.encodeAll(summary.topics())));
                s.setLong(6, summary.lastRunSequence());
                timeParams(s, 7, summary.updatedAt(), "the summary's updatedAt");
                timeParams(s, 9, now, "the clock's time");
                String outcome = single(s, rs -> rs.getString(1)).orElseThrow();
                checkTurn(c, outcome, key, fence);
                return "OK".equals(outcome);
            }
        });
    }

    // ---- user memories ----

    @Override
    public void saveMemory(UserMemory memory, MemoryChangeCause cause) {
        Require.notNull(memory, "memory");
        Require.notNull(cause, "cause");
        Instant now = clock.instant();
        call("Saving memory " + memory.memoryId() + " of user " + memory.userId(), c -> {
            try (PreparedStatement s = prepare(c, "SELECT " + q + "save_memory(?, ?, ?, ?, ?, ?::timestamptz, ?, "
                    + "?::timestamptz, ?, ?, ?::timestamptz, ?, ?, ?, ?)")) {
                s.setString(1, PgText.encode(memory.userId()));
                s.setString(2, PgText.encode(memory.memoryId()));
                s.setString(3, PgText.encode(memory.memory()));
                s.setArray(4, c.createArrayOf("text", PgText.encodeAll(memory.topics())));
                s.setString(5, PgText.encode(memory.input()));
                timeParams(s, 6, memory.createdAt(), "the memory's createdAt");
                timeParams(s, 8, memory.updatedAt(), "the memory's updatedAt");
                s.setString(10, PgText.encode(memory.agentId().orElse(null)));
                timeParams(s, 11, now, "the clock's time");
                causeParams(s, 13, cause);
                s.execute();
            }
            return null;
        });
    }

    @Override
    public Optional<UserMemory> memory(String userId, String memoryId) {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        return call("Reading memory " + memoryId + " of user " + userId, c -> {
            try (PreparedStatement s = prepare(c, "SELECT " + PgRows.MEMORY_COLUMNS + " FROM " + q
                    + "memories u WHERE u.user_id = ? AND u.memory_id = ?")) {
                s.setString(1, PgText.encode(userId));
                s.setString(2, PgText.encode(memoryId));
                return single(s, PgRows::memory);
            }
        });
    }

    @Override
    public List<UserMemory> memories(String userId) {
        return memories(userId, 0, Integer.MAX_VALUE);
    }

    @Override
    public List<UserMemory> memories(String userId, int offset, int limit) {
        Require.notBlank(userId, "userId");
        Require.notNegative(offset, "offset");
        Require.positive(limit, "limit");
        return call("Reading the memories of user " + userId, c -> {
            try (PreparedStatement s = prepare(c, "SELECT " + PgRows.MEMORY_COLUMNS + " FROM " + q
                    + "memories u WHERE u.user_id = ? ORDER BY u.created_at, u.created_ns, u.memory_id "
                    + "OFFSET ? LIMIT ?")) {
                s.setString(1, PgText.encode(userId));
                s.setLong(2, offset);
                s.setLong(3, limit);
                return list(s, PgRows::memory);
            }
        });
    }

    @Override
    public long memoriesVersion(String userId) {
        Require.notBlank(userId, "userId");
        return call("Reading the memories version of user " + userId, c -> {
            try (PreparedStatement s = prepare(c, "SELECT version FROM " + q
                    + "memory_versions WHERE user_id = ?")) {
                s.setString(1, PgText.encode(userId));
                return single(s, rs -> rs.getLong(1)).orElse(0L);
            }
        });
    }

    @Override
    public List<MemoryChange> memoryHistory(String userId, String memoryId) {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        return call("Reading the history of memory " + memoryId + " of user " + userId, c -> {
            try (PreparedStatement s = prepare(c, "SELECT " + PgRows.HISTORY_COLUMNS + " FROM " + q
                    + "memory_history h WHERE h.user_id = ? AND h.memory_id = ? ORDER BY h.seq")) {
                s.setString(1, PgText.encode(userId));
                s.setString(2, PgText.encode(memoryId));
                return list(s, PgRows::change);
            }
        });
    }

    @Override
    public boolean deleteMemory(String userId, String memoryId, MemoryChangeCause cause) {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        Require.notNull(cause, "cause");
        Instant now = clock.instant();
        return call("Deleting memory " + memoryId + " of user " + userId, c -> {
            try (PreparedStatement s = prepare(c, "SELECT " + q + "delete_memory(?, ?, ?::timestamptz, ?, ?, ?, ?)")) {
                s.setString(1, PgText.encode(userId));
                s.setString(2, PgText.encode(memoryId));
                timeParams(s, 3, now, "the clock's time");
                causeParams(s, 5, cause);
                return single(s, rs -> rs.getBoolean(1)).orElseThrow();
            }
        });
    }

    @Override
    public int deleteMemories(String userId) {
        Require.notBlank(userId, "userId");
        return call("Deleting the memories of user " + userId, c -> {
            try (PreparedStatement s = prepare(c, "SELECT " + q + "delete_memories(?)")) {
                s.setString(1, PgText.encode(userId));
                return single(s, rs -> rs.getInt(1)).orElseThrow();
            }
        });
    }

    @Override
    public boolean saveMemoryEmbedding(MemoryEmbedding embedding) {
        Require.notNull(embedding, "embedding");
        float[] vector = embedding.vector();
        Float[] boxed = new Float[vector.length];
        for (int i = 0; i < vector.length; i++) {
            boxed[i] = vector[i];
        }
        return call("Saving the embedding of memory " + embedding.memoryId() + " of user " + embedding.userId(), c -> {
            try (PreparedStatement s = prepare(c, "SELECT " + q + "save_memory_embedding(?, ?, ?, ?, ?)")) {
                s.setString(1, PgText.encode(embedding.userId()));
                s.setString(2, PgText.encode(embedding.memoryId()));
                s.setString(3, PgText.encode(embedding.model()));
                s.setString(4, PgText.encode(embedding.memoryText()));
                s.setArray(5, c.createArrayOf("float4", boxed));
                return single(s, rs -> rs.getBoolean(1)).orElseThrow();
            }
        });
    }

    @Override
    public List<MemoryEmbedding> memoryEmbeddings(String userId) {
        Require.notBlank(userId, "userId");
        return call("Reading the memory embeddings of user " + userId, c -> {
            try (PreparedStatement s = prepare(c, "SELECT user_id, memory_id, model, memory_text, vector FROM " + q
                    + "memory_embeddings WHERE user_id = ?")) {
                s.setString(1, PgText.encode(userId));
                return list(s, PgRows::embedding);
            }
        });
    }

    // ---- turns ----

    @Override
    public SessionTurns turns() {
        ensureOpen();
        return turns;
    }

    /** @return the listener for released turns, null when notifications are off (for tests) */
    PgTurnListener turnListener() {
        return leases.listener();
    }

    // ---- maintenance ----

    /**
     * Vacuums agno-memory's tables: the space of deleted and updated rows becomes reusable, and pages at the end of
     * a table that became empty are returned to the file system. Deleted rows are invisible to every query the moment
     * their delete commits; this only reclaims their space. It is what autovacuum does on its own schedule; call it
     * (or schedule it) after large deletes when the space matters. Old row versions can remain in free space that is
     * not yet reused, in the write-ahead log until its segments are recycled, and in backups: {@code
     * docs/postgres.md} says what a full erasure takes. Needs the role to own the tables; runs outside any
     * transaction and does not block reads and writes.
     *
     * @throws StorageException when PostgreSQL refuses or the connection fails
     */
    public void purge() {
        call("Vacuuming the agno-memory schema " + schema, c -> {
            try (Statement s = c.createStatement()) {
                for (String table : List.of("messages", "runs", "sessions", "memory_embeddings", "memory_history",
                        "memories", "memory_versions")) {
                    s.execute("VACUUM (ANALYZE) " + q + table);
                }
            }
            return null;
        });
    }

    /**
     * Releases the turns held here, ends waits for turns, stops the turn listener, and marks the storage closed;
     * later calls fail. The data source stays open (it is the caller's).
     */
    @Override
    public void close() {
        if (closed.get()) {
            return;
        }
        turns.close();
        closed.set(true);
    }

    // ---- helpers ----

    private interface RowReader<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> T call(String what, PgConnections.Work<T> work) {
        ensureOpen();
        return db.call(what, work);
    }

    private <T> T inTransaction(String what, PgConnections.Work<T> work) {
        ensureOpen();
        return db.inTransaction(what, work);
    }

    private PreparedStatement prepare(Connection c, String sql) throws SQLException {
        return db.prepare(c, sql);
    }

    private Optional<Session> readSession(Connection c, SessionKey key, String lock) throws SQLException {
        try (PreparedStatement s = prepare(c, "SELECT " + PgRows.SESSION_COLUMNS + " FROM " + q
                + "sessions s WHERE s.user_id = ? AND s.session_id = ?" + lock)) {
            keyParams(s, 1, key);
            return single(s, PgRows::session);
        }
    }

    private static <T> Optional<T> single(PreparedStatement s, RowReader<T> reader) throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            return rs.next() ? Optional.of(reader.read(rs)) : Optional.empty();
        }
    }

    private static <T> List<T> list(PreparedStatement s, RowReader<T> reader) throws SQLException {
        List<T> out = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                out.add(reader.read(rs));
            }
        }
        return List.copyOf(out);
    }

    static void keyParams(PreparedStatement s, int at, SessionKey key) throws SQLException {
        s.setString(at, PgText.encode(key.userId()));
        s.setString(at + 1, PgText.encode(key.sessionId()));
    }

    private static void timeParams(PreparedStatement s, int at, Instant t, String field) throws SQLException {
        s.setString(at, PgTime.timestamp(t, field));
        s.setShort(at + 1, PgTime.nanos(t));
    }

    private static void fenceParam(PreparedStatement s, int at, Long fence) throws SQLException {
        if (fence == null) {
            s.setNull(at, Types.BIGINT);
        } else {
            s.setLong(at, fence);
        }
    }

    /**
     * A session write function's outcome against the fence: STALE_TURN is a {@code StaleTurnException}; so is
     * NO_SESSION when the fence is not current either, since a stale writer must learn that first.
     */
    private void checkTurn(Connection c, String outcome, SessionKey key, Long fence) throws SQLException {
        if ("STALE_TURN".equals(outcome)) {
            throw stale(c, key, fence);
        }
        if ("NO_SESSION".equals(outcome)) {
            requireCurrent(c, key, fence);
        }
    }

    /** Throws unless {@code fence} is null or the session's current turn epoch. */
    private void requireCurrent(Connection c, SessionKey key, Long fence) throws SQLException {
        if (fence != null) {
            long current = currentEpoch(c, key);
            if (current != fence) {
                throw LeasedTurns.stale(key, fence, current);
            }
        }
    }

    private RuntimeException stale(Connection c, SessionKey key, long fence) throws SQLException {
        return LeasedTurns.stale(key, fence, currentEpoch(c, key));
    }

    private long currentEpoch(Connection c, SessionKey key) throws SQLException {
        try (PreparedStatement s = prepare(c, "SELECT " + q + "turn_epoch(?, ?)")) {
            keyParams(s, 1, key);
            return single(s, rs -> rs.getLong(1)).orElseThrow();
        }
    }

    private static void causeParams(PreparedStatement s, int at, MemoryChangeCause cause) throws SQLException {
        s.setString(at, cause.source().name());
        s.setString(at + 1, PgText.encode(cause.sessionId().orElse(null)));
        s.setString(at + 2, PgText.encode(cause.runId().orElse(null)));
    }

    /** Turns a session write's outcome into the contract's exception; "OK" passes. */
    private static void requireOk(String outcome, SessionKey key, String runId, String currentRun) {
        switch (outcome) {
            case "OK" -> {
            }
            case "NO_SESSION" -> throw new IllegalStateException("No session " + describe(key)
                    + "; create it with getOrCreateSession");
            case "EARLIER_RUN" -> throw new IllegalStateException("Run " + runId + " is an earlier run of "
                    + describe(key) + "; only the current run can take messages");
            case "RUN_FINISHED" -> throw new IllegalStateException("Run " + runId + " of " + describe(key)
                    + " is already finished; start a new run with a new run id");
            case "NOT_CURRENT_RUN" -> throw new IllegalStateException("Run " + runId + " is not the current run of "
                    + describe(key) + (currentRun == null ? " (it has no runs)" : " (that is " + currentRun + ")"));
            default -> throw new StorageException("Unexpected outcome " + outcome + " of a write to "
                    + describe(key));
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("The storage on PostgreSQL schema " + schema + " is closed");
        }
    }

    static String describe(SessionKey key) {
        return "session " + key.sessionId() + " of user " + key.userId();
    }

    private static String describe(SessionFilter f) {
        return (f.userId().map(u -> "of user " + u + " ").orElse("") + f.agentId().map(a -> "of agent " + a + " ")
                .orElse("") + "(offset " + f.offset() + ", limit " + f.limit() + ")").trim();
    }

    /** The session writes of a turn's storage view: the private methods above, with the turn's epoch. */
    private final class Fenced implements FencedWrites {

        @Override
        public Session getOrCreateSession(SessionKey key, String agentId, long fence) {
            return createSession(key, agentId, fence);
        }

        @Override
        public Optional<Session> updateSessionData(SessionKey key, UnaryOperator<Map<String, String>> update,
                long fence) {
            return PostgresStorage.this.updateSessionData(key, update, fence);
        }

        @Override
        public Optional<Session> updateSessionState(SessionKey key, UnaryOperator<String> update, long fence) {
            return PostgresStorage.this.updateSessionState(key, update, fence);
        }

        @Override
        public Optional<Session> renameSession(SessionKey key, String name, long fence) {
            return PostgresStorage.this.renameSession(key, name, fence);
        }

        @Override
        public boolean deleteSession(SessionKey key, long fence) {
            return PostgresStorage.this.deleteSession(key, fence);
        }

        @Override
        public List<MessagePosition> appendMessages(SessionKey key, String runId, List<Message> messages,
                long fence) {
            return PostgresStorage.this.appendMessages(key, runId, messages, fence);
        }

        @Override
        public void finishRun(SessionKey key, String runId, RunOutcome outcome, long fence) {
            PostgresStorage.this.finishRun(key, runId, outcome, fence);
        }

        @Override
        public List<MessagePosition> finishRun(SessionKey key, String runId, List<Message> lastMessages,
                RunOutcome outcome, long fence) {
            return PostgresStorage.this.finishRun(key, runId, lastMessages, outcome, fence);
        }

        @Override
        public boolean saveSummary(SessionKey key, SessionSummary summary, long fence) {
            return PostgresStorage.this.saveSummary(key, summary, fence);
        }
    }

    /** Configures a {@link PostgresStorage}; validation happens in {@link #build()}. */
    public static final class Builder {
        private DataSource dataSource;
        private String schema = Migration.SHIPPED_SCHEMA;
        private Clock clock = Clock.systemUTC();
        private Duration queryTimeout = Duration.ofSeconds(30);
        private boolean createSchema = true;
        private Duration turnLease = TurnSettings.DEFAULT_LEASE;
        private Duration turnPollInterval = TurnSettings.DEFAULT_POLL_INTERVAL;
        private ScheduledExecutorService turnScheduler;
        private boolean turnNotifications = true;
        private TurnSettings turnSettings;

        private Builder() {
        }

        /**
         * @param lease how long a session's turn stays held when it is not renewed, by the server's clock (default
         *     30 seconds, at least 300 ms). The storage renews the turns it holds every third of it; when an
         *     instance crashes, its turns are free again after at most this long
         * @return this builder
         */
        public Builder turnLease(Duration lease) {
            this.turnLease = lease;
            return this;
        }

        /**
         * @param interval how often the first waiter for a turn in this instance asks the database again when no
         *     notification woke it (default 1 second): the hand-over time when notifications are off or the
         *     listener has lost its connection
         * @return this builder
         */
        public Builder turnPollInterval(Duration interval) {
            this.turnPollInterval = interval;
            return this;
        }

        /**
         * @param scheduler where turn renewals run (default: a daemon thread of the storage's own, started with
         *     the first turn); the storage does not shut a given scheduler down
         * @return this builder
         */
        public Builder turnScheduler(ScheduledExecutorService scheduler) {
            this.turnScheduler = scheduler;
            return this;
        }

        /**
         * @param notifications whether waiters for a turn are woken by {@code LISTEN/NOTIFY} when it is released
         *     (default true; holds one connection of the pool from the first wait on). False for connection poolers
         *     that cannot keep a session's {@code LISTEN} (PgBouncer in transaction mode): waiters then ask every
         *     {@link #turnPollInterval(Duration)}
         * @return this builder
         */
        public Builder turnNotifications(boolean notifications) {
            this.turnNotifications = notifications;
            return this;
        }

        /**
         * @param dataSource where connections come from, normally a pool such as HikariCP; required. The storage
         *     borrows one per call and never closes the data source.
         * @return this builder
         */
        public Builder dataSource(DataSource dataSource) {
            this.dataSource = dataSource;
            return this;
        }

        /**
         * @param schema the PostgreSQL schema of the tables (default {@code agno_memory}): lower-case letters,
         *     digits and underscores, starting with a letter or underscore, at most 63 characters. Created when
         *     missing (if {@link #createSchema(boolean)} allows); several stores can share a database in different
         *     schemas.
         * @return this builder
         */
        public Builder schema(String schema) {
            this.schema = schema;
            return this;
        }

        /**
         * @param clock the clock for session, run, memory-change and update times (default UTC system clock)
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * @param timeout how long one statement may run before it is cancelled and the call fails with a
         *     {@link StorageException} (default 30 seconds; whole seconds, rounded up; zero for none). It includes
         *     waiting for the session's row lock while another instance writes to the session.
         * @return this builder
         */
        public Builder queryTimeout(Duration timeout) {
            this.queryTimeout = timeout;
            return this;
        }

        /**
         * @param create whether {@link #build()} creates the schema and its tables when they are missing (default
         *     true); false for roles that may not create tables, with the schema created beforehand from
         *     {@code schema-v1.sql}
         * @return this builder
         */
        public Builder createSchema(boolean create) {
            this.createSchema = create;
            return this;
        }

        /**
         * Checks the schema (creating or migrating it) and returns the storage.
         *
         * @return the storage
         * @throws IllegalArgumentException when a setting is invalid
         * @throws PostgresSchemaException when the schema cannot be used; nothing was changed
         * @throws StorageException when the database cannot be reached
         */
        public PostgresStorage build() {
            Require.notNull(dataSource, "dataSource");
            Require.notNull(schema, "schema");
            if (!SCHEMA_NAME.matcher(schema).matches()) {
                throw new IllegalArgumentException("schema must be lower-case letters, digits and underscores, "
                        + "starting with a letter or underscore, at most 63 characters, but is '" + schema + "'");
            }
            Require.notNull(clock, "clock");
            Require.notNull(queryTimeout, "queryTimeout");
            if (queryTimeout.isNegative()) {
                throw new IllegalArgumentException("queryTimeout must not be negative, but is " + queryTimeout);
            }
            turnSettings = TurnSettings.of(turnLease, turnPollInterval, turnScheduler);
            return new PostgresStorage(this);
        }
    }
}
