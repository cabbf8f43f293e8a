package dev.agnomemory.core.search;

import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.postgres.PgText;
import dev.agnomemory.core.storage.postgres.PostgresStorage;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * A {@link ConversationIndex} in the PostgreSQL database of a {@link PostgresStorage}, so that every instance of a
 * multi-instance deployment searches the same data: full-text search and stored vectors in tables beside the
 * storage's own, in its schema.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>What is searched</b> is what {@link LuceneConversationIndex} searches, fused by the same
 *       {@link HybridRanking}: each message by its own words, by its words with the two indexed messages before it,
 *       and by the meaning of its text. Words: PostgreSQL's {@code english} text search configuration (Snowball
 *       English stemmer and stop words), ranked by BM25 (k1 1.2, b 0.4) computed in SQL over the user's own
 *       messages. Meaning: exact dot products with every stored vector of the user, computed in this process over
 *       vectors it keeps in memory ({@link Builder#vectorCacheSize(int)}); PostgreSQL's {@code pgvector} is not
 *       used.</li>
 *   <li><b>Tables</b> ({@code search_index}, {@code search_sessions}, {@code search_messages}; the file
 *       {@code postgres-index-v1.sql} in this package) are a set of their own, versioned by the format in
 *       {@code search_index} (apart from the storage's schema versions), created by {@link Builder#build()} when
 *       missing. Tables of an older format, or an incomplete set, are logged, dropped and created empty, to be
 *       filled again from storage; a newer format is refused (a {@link SearchIndexException}, nothing changed).
 *       Built with another embedding model than the one recorded, the index re-embeds every message (logged) before
 *       {@code build()} returns.</li>
 *   <li><b>Deleted with its session.</b> Every row references the storage's session row with {@code ON DELETE
 *       CASCADE}: a session deleted in storage leaves the index in the same transaction, on every instance. Messages
 *       of a session that does not exist in storage are not indexed (it was deleted meanwhile).</li>
 *   <li><b>Isolation.</b> Every query is keyed by the user's id; the vectors a search compares are the user's.</li>
 *   <li><b>Writes</b> of one session are serialized across instances by its {@code search_sessions} row; each
 *       {@link #add} is one transaction per session, durable when it returns ({@link #commit()} does nothing).</li>
 *   <li><b>Purge.</b> {@link #purgeDeleted()} vacuums the index tables, as {@link PostgresStorage#purge()} does the
 *       storage's (the same limits apply: see docs/postgres.md).</li>
 * </ul>
 *
 * <pre>{@code
 * PostgresConversationIndex index = PostgresConversationIndex.builder().storage(storage).embedder(embedder).build();
 * }</pre>
 */
public final class PostgresConversationIndex implements ConversationIndex {

    /** The default {@link Builder#vectorCacheSize(int)}. */
    public static final int DEFAULT_VECTOR_CACHE_SIZE = 200_000;

    /** The most characters of a message (and of its context) whose words are searched. */
    static final int MAX_SEARCHED_CHARS = 100_000;

    private final DataSource dataSource;
    private final String schema;
    /** The schema qualifier, quoted, with its dot. */
    private final String q;
    private final int timeoutSeconds;
    private final Embeddings embeddings;
    private final PgVectorCache vectors;
    private volatile boolean closed;

    private PostgresConversationIndex(Builder b) {
        this.dataSource = b.storage.dataSource();
        this.schema = b.storage.schema();
        this.q = "\"" + schema + "\".";
        this.timeoutSeconds = b.queryTimeout.isZero() ? 0
                : (int) Math.min(Integer.MAX_VALUE, (b.queryTimeout.toMillis() + 999) / 1000);
        this.embeddings = new Embeddings(b.embedder, b.embeddingBatchSize);
        this.vectors = new PgVectorCache(b.vectorCacheSize);
        new PgIndexTables(schema, q, embeddings).install(this);
    }

    /** @return a builder; {@link Builder#storage} and {@link Builder#embedder} are required */
    public static Builder builder() {
        return new Builder();
    }

    /** Work on a borrowed connection. */
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in autocommit mode (each statement its own transaction), or in one transaction. */
    <T> T call(String what, boolean transaction, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(!transaction);
            try {
                T result = work.run(c);
                if (transaction) {
                    c.commit();
                }
                return result;
            } catch (SQLException | RuntimeException e) {
                if (transaction) {
                    try {
                        c.rollback();
                    } catch (SQLException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            } finally {
                if (transaction) {
                    c.setAutoCommit(true);
                }
            }
        } catch (SQLException e) {
            throw new SearchIndexException("Could not " + what + " the conversation index in PostgreSQL schema "
                    + schema + ": " + (e.getSQLState() == null ? "" : "SQLSTATE " + e.getSQLState() + ", ")
                    + e.getMessage(), e);
        }
    }

    PreparedStatement prepare(Connection c, String sql) throws SQLException {
        PreparedStatement s = c.prepareStatement(sql);
        if (timeoutSeconds > 0) {
            s.setQueryTimeout(timeoutSeconds);
        }
        return s;
    }

    // ---- adding ----

    @Override
    public void add(List<IndexedMessage> messages) {
        Require.notNull(messages, "messages");
        List<IndexedMessage> indexed = new ArrayList<>(messages.size());
        for (IndexedMessage m : messages) {
            Require.notNull(m, "messages element");
            if (!m.text().isBlank()) {
                indexed.add(m);
            }
        }
        ensureOpen();
        if (indexed.isEmpty()) {
            return;
        }
        List<float[]> vectors = embeddings.embed(indexed.stream().map(IndexedMessage::text).toList());
        // Per session, in position order; a repeated position keeps the last message given for it.
        Map<SessionKey, TreeMap<MessagePosition, Integer>> bySession = new LinkedHashMap<>();
        for (int i = 0; i < indexed.size(); i++) {
            bySession.computeIfAbsent(indexed.get(i).session(), k -> new TreeMap<>())
                    .put(indexed.get(i).position(), i);
        }
        for (Map.Entry<SessionKey, TreeMap<MessagePosition, Integer>> e : bySession.entrySet()) {
            List<IndexedMessage> ms = new ArrayList<>();
            List<float[]> vs = new ArrayList<>();
            for (int i : e.getValue().values()) {
                ms.add(indexed.get(i));
                vs.add(vectors.get(i));
            }
            SessionKey key = e.getKey();
            call("add messages of session " + key.sessionId() + " of user " + key.userId() + " to", true,
                    c -> addSession(c, key, ms, vs));
        }
    }

    /** One session's messages, in position order, in one transaction. */
    private Void addSession(Connection c, SessionKey key, List<IndexedMessage> ms, List<float[]> vs)
            throws SQLException {
        long session;
        long change;
        // Locks the session's index row: adds of one session are serialized across instances from here on.
        try (PreparedStatement s = prepare(c, "INSERT INTO " + q + "search_sessions (session, user_id, session_id, "
                + "change) SELECT s.id, s.user_id, s.session_id, nextval('" + q + "search_change_seq') FROM " + q
                + "sessions s WHERE s.user_id = ? AND s.session_id = ? ON CONFLICT (session) DO UPDATE SET change = "
                + "excluded.change RETURNING session, change")) {
            keyParams(s, 1, key);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return null; // no such session in storage: deleted meanwhile
                }
                session = rs.getLong(1);
                change = rs.getLong(2);
            }
        }
        Deque<String> before = new ArrayDeque<>();
        try (PreparedStatement s = prepare(c, "SELECT text FROM " + q + "search_messages WHERE session = ? AND "
                + "(run_seq, idx) < (?, ?) ORDER BY run_seq DESC, idx DESC LIMIT " + MessageDocuments.CONTEXT_BEFORE)) {
            s.setLong(1, session);
            s.setLong(2, ms.get(0).position().runSequence());
            s.setInt(3, ms.get(0).position().index());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    before.addFirst(rs.getString(1));
                }
            }
        }
        int n = ms.size();
        Long[] runs = new Long[n];
        Integer[] indexes = new Integer[n];
        String[] runIds = new String[n];
        String[] roles = new String[n];
        Long[] seconds = new Long[n];
        Integer[] nanos = new Integer[n];
        String[] texts = new String[n];
        String[] contexts = new String[n];
        byte[][] vectorBytes = new byte[n][];
        for (int i = 0; i < n; i++) {
            IndexedMessage m = ms.get(i);
            runs[i] = m.position().runSequence();
            indexes[i] = m.position().index();
            runIds[i] = PgText.encode(m.runId());
            roles[i] = m.role().name();
            seconds[i] = m.createdAt().getEpochSecond();
            nanos[i] = m.createdAt().getNano();
            texts[i] = PgText.encode(m.text());
            contexts[i] = before.isEmpty() ? texts[i] : String.join("\n", before) + "\n" + texts[i];
            vectorBytes[i] = bytes(vs.get(i));
            before.addLast(texts[i]);
            if (before.size() > MessageDocuments.CONTEXT_BEFORE) {
                before.removeFirst();
            }
        }
        try (PreparedStatement s = prepare(c, "INSERT INTO " + q + "search_messages AS m (session, user_id, run_seq, "
                + "idx, run_id, role, created_s, created_ns, text, words, words_len, context, context_len, vector, "
                + "change) SELECT ?, ?, t.run_seq, t.idx, t.run_id, t.role, t.created_s, t.created_ns, t.text, v.w, "
                + "(SELECT coalesce(sum(cardinality(u.positions)), 0) FROM unnest(v.w) u), v.c, "
                + "(SELECT coalesce(sum(cardinality(u.positions)), 0) FROM unnest(v.c) u), t.vector, ? "
                + "FROM unnest(?::bigint[], ?::integer[], ?::text[], ?::text[], ?::bigint[], ?::integer[], ?::text[], "
                + "?::text[], ?::bytea[]) AS t(run_seq, idx, run_id, role, created_s, created_ns, text, ctx, vector) "
                + "CROSS JOIN LATERAL (SELECT to_tsvector('pg_catalog.english', left(t.text, " + MAX_SEARCHED_CHARS
                + ")) AS w, to_tsvector('pg_catalog.english', left(t.ctx, " + MAX_SEARCHED_CHARS + ")) AS c) v "
                + "ON CONFLICT (session, run_seq, idx) DO UPDATE SET run_id = excluded.run_id, role = excluded.role, "
                + "created_s = excluded.created_s, created_ns = excluded.created_ns, text = excluded.text, "
                + "words = excluded.words, words_len = excluded.words_len, context = excluded.context, "
                + "context_len = excluded.context_len, vector = excluded.vector, change = excluded.change")) {
            s.setLong(1, session);
            s.setString(2, PgText.encode(key.userId()));
            s.setLong(3, change);
            s.setArray(4, c.createArrayOf("bigint", runs));
            s.setArray(5, c.createArrayOf("integer", indexes));
            s.setArray(6, c.createArrayOf("text", runIds));
            s.setArray(7, c.createArrayOf("text", roles));
            s.setArray(8, c.createArrayOf("bigint", seconds));
            s.setArray(9, c.createArrayOf("integer", nanos));
            s.setArray(10, c.createArrayOf("text", texts));
            s.setArray(11, c.createArrayOf("text", contexts));
            s.setArray(12, c.createArrayOf("bytea", vectorBytes));
            s.executeUpdate();
        }
        try (PreparedStatement s = prepare(c, "UPDATE " + q + "search_sessions SET (messages, words_total, "
                + "context_total) = (SELECT count(*), coalesce(sum(words_len), 0), coalesce(sum(context_len), 0) FROM "
                + q + "search_messages WHERE session = ?) WHERE session = ?")) {
            s.setLong(1, session);
            s.setLong(2, session);
            s.executeUpdate();
        }
        return null;
    }

    // ---- removing ----

    @Override
    public void removeSession(SessionKey session) {
        Require.notNull(session, "session");
        ensureOpen();
        call("remove session " + session.sessionId() + " of user " + session.userId() + " from", false, c -> {
            try (PreparedStatement s = prepare(c, "DELETE FROM " + q + "search_sessions WHERE user_id = ? AND "
                    + "session_id = ?")) {
                keyParams(s, 1, session);
                return s.executeUpdate();
            }
        });
    }

    @Override
    public void removeUser(String userId) {
        Require.notBlank(userId, "userId");
        ensureOpen();
        call("remove user " + userId + " from", false, c -> {
            try (PreparedStatement s = prepare(c, "DELETE FROM " + q + "search_sessions WHERE user_id = ?")) {
                s.setString(1, PgText.encode(userId));
                return s.executeUpdate();
            }
        });
    }

    // ---- searching ----

    @Override
    public List<ConversationHit> search(ConversationQuery query) {
        Require.notNull(query, "query");
        ensureOpen();
        float[] vector = embeddings.embed(query.text());
        String user = PgText.encode(query.userId());
        String excludedId = query.excludedSession().map(PgText::encode).orElse(null);
        String text = PgText.encode(query.text());
        return call("search", false, c -> {
            Map<Long, Long> stamps = new HashMap<>();
            long excluded = -1;
            long messages = 0;
            long wordsTotal = 0;
            long contextTotal = 0;
            try (PreparedStatement s = prepare(c, "SELECT session, session_id, change, messages, words_total, "
                    + "context_total FROM " + q + "search_sessions WHERE user_id = ?")) {
                s.setString(1, user);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        stamps.put(rs.getLong(1), rs.getLong(3));
                        if (rs.getString(2).equals(excludedId)) {
                            excluded = rs.getLong(1);
                        } else {
                            messages += rs.getLong(4);
                            wordsTotal += rs.getLong(5);
                            contextTotal += rs.getLong(6);
                        }
                    }
                }
            }
            if (messages == 0) {
                return List.of();
            }
            List<HybridRanking.Scored> words = bm25(c, "words", "words_len", text, user, excluded, messages,
                    wordsTotal);
            List<HybridRanking.Scored> context = bm25(c, "context", "context_len", text, user, excluded, messages,
                    contextTotal);
            List<HybridRanking.Scored> meaning = vectors.nearest(query.userId(), stamps,
                    excluded < 0 ? null : excluded, vector, HybridRanking.DEPTH, changed -> loadVectors(c, changed));
            List<HybridRanking.Scored> ranked = HybridRanking.fuse(words, context, meaning);
            return hits(c, user, ranked.subList(0, Math.min(query.limit(), ranked.size())), query.neighbours());
        });
    }

    /** BM25 over one tsvector column, for the user's messages (less one session), best {@link HybridRanking#DEPTH}. */
    private List<HybridRanking.Scored> bm25(Connection c, String column, String lengthColumn, String text,
            String user, long excluded, long messages, long totalLength) throws SQLException {
        double averageLength = Math.max(1e-9, (double) totalLength / messages);
        String sql = "WITH terms AS (SELECT t.lexeme, cardinality(t.positions) AS qtf FROM "
                + "unnest(to_tsvector('pg_catalog.english', left(?, " + MAX_SEARCHED_CHARS + "))) t "
                + "ORDER BY t.positions[1] LIMIT " + ConversationAnalyzer.MAX_QUERY_TERMS + "), "
                + "hits AS (SELECT m.id, m." + lengthColumn + " AS len, cardinality(u.positions) AS tf, terms.lexeme, "
                + "terms.qtf FROM " + q + "search_messages m CROSS JOIN LATERAL unnest(m." + column + ") u "
                + "JOIN terms ON terms.lexeme = u.lexeme WHERE m.user_id = ? AND m.session <> ? AND "
                + "tsvector_to_array(m." + column + ") && (SELECT array_agg(lexeme) FROM terms)), "
                + "df AS (SELECT lexeme, count(*) AS n FROM hits GROUP BY lexeme) "
                + "SELECT hits.id, sum(hits.qtf * ln(1 + (greatest(?, df.n) - df.n + 0.5) / (df.n + 0.5)) * hits.tf "
                + "/ (hits.tf + ? * (1 - ? + ? * hits.len / ?))) AS score FROM hits JOIN df ON df.lexeme = hits.lexeme "
                + "GROUP BY hits.id ORDER BY score DESC, hits.id LIMIT " + HybridRanking.DEPTH;
        try (PreparedStatement s = prepare(c, sql)) {
            s.setString(1, text);
            s.setString(2, user);
            s.setLong(3, excluded);
            s.setDouble(4, messages);
            s.setDouble(5, HybridRanking.BM25_K1);
            s.setDouble(6, HybridRanking.BM25_B);
            s.setDouble(7, HybridRanking.BM25_B);
            s.setDouble(8, averageLength);
            List<HybridRanking.Scored> out = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new HybridRanking.Scored(rs.getLong(1), rs.getDouble(2)));
                }
            }
            return out;
        }
    }

    private List<PgVectorCache.Row> loadVectors(Connection c, Map<Long, Long> changedAfter) {
        Long[] sessions = changedAfter.keySet().toArray(Long[]::new);
        Long[] since = new Long[sessions.length];
        for (int i = 0; i < sessions.length; i++) {
            since[i] = changedAfter.get(sessions[i]);
        }
        try (PreparedStatement s = prepare(c, "SELECT m.session, m.id, m.vector FROM unnest(?::bigint[], "
                + "?::bigint[]) AS w(session, since) JOIN " + q + "search_messages m ON m.session = w.session AND "
                + "m.change > w.since")) {
            s.setArray(1, c.createArrayOf("bigint", sessions));
            s.setArray(2, c.createArrayOf("bigint", since));
            List<PgVectorCache.Row> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(new PgVectorCache.Row(rs.getLong(1), rs.getLong(2), floats(rs.getBytes(3))));
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new SearchIndexException("Could not read vectors of the conversation index in PostgreSQL schema "
                    + schema + ": " + e.getMessage(), e);
        }
    }

    /** The ranked messages of the user with their neighbours, in ranking order; each with its fused score. */
    private List<ConversationHit> hits(Connection c, String user, List<HybridRanking.Scored> ranked, int neighbours)
            throws SQLException {
        if (ranked.isEmpty()) {
            return List.of();
        }
        String columns = "run_seq, idx, run_id, role, created_s, created_ns, text";
        String sql = "SELECT h.ord, p.part, p.run_seq, p.idx, p.run_id, p.role, p.created_s, p.created_ns, p.text, "
                + "s.user_id, s.session_id FROM unnest(?::bigint[]) WITH ORDINALITY AS h(id, ord) "
                + "JOIN " + q + "search_messages x ON x.id = h.id AND x.user_id = ? "
                + "JOIN " + q + "search_sessions s ON s.session = x.session "
                + "CROSS JOIN LATERAL ((SELECT -1 AS part, " + columns + " FROM " + q + "search_messages b "
                + "WHERE b.session = x.session AND (b.run_seq, b.idx) < (x.run_seq, x.idx) "
                + "ORDER BY b.run_seq DESC, b.idx DESC LIMIT ?) "
                + "UNION ALL SELECT 0, x.run_seq, x.idx, x.run_id, x.role, x.created_s, x.created_ns, x.text "
                + "UNION ALL (SELECT 1, " + columns + " FROM " + q + "search_messages a WHERE a.session = x.session "
                + "AND (a.run_seq, a.idx) > (x.run_seq, x.idx) ORDER BY a.run_seq, a.idx LIMIT ?)) p "
                + "ORDER BY h.ord, p.part, p.run_seq, p.idx";
        Long[] ids = ranked.stream().map(HybridRanking.Scored::id).toArray(Long[]::new);
        try (PreparedStatement s = prepare(c, sql)) {
            s.setArray(1, c.createArrayOf("bigint", ids));
            s.setString(2, user);
            s.setInt(3, neighbours);
            s.setInt(4, neighbours);
            Map<Integer, List<IndexedMessage>[]> parts = new TreeMap<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    int ord = rs.getInt(1);
                    @SuppressWarnings("unchecked")
                    List<IndexedMessage>[] hit = parts.computeIfAbsent(ord, k -> new List[] {new ArrayList<>(),
                        new ArrayList<>(), new ArrayList<>()});
                    SessionKey key = SessionKey.of(PgText.decode(rs.getString(10)), PgText.decode(rs.getString(11)));
                    hit[rs.getInt(2) + 1].add(new IndexedMessage(key, PgText.decode(rs.getString(5)),
                            new MessagePosition(rs.getLong(3), rs.getInt(4)), Role.valueOf(rs.getString(6)),
                            Instant.ofEpochSecond(rs.getLong(7), rs.getInt(8)), PgText.decode(rs.getString(9))));
                }
            }
            List<ConversationHit> out = new ArrayList<>(parts.size());
            parts.forEach((ord, hit) -> out.add(new ConversationHit(hit[1].get(0), ranked.get(ord - 1).score(),
                    hit[0], hit[2])));
            return out;
        }
    }

    // ---- records ----

    @Override
    public Optional<MessagePosition> lastIndexedPosition(SessionKey session) {
        Require.notNull(session, "session");
        ensureOpen();
        return call("read", false, c -> {
            try (PreparedStatement s = prepare(c, "SELECT m.run_seq, m.idx FROM " + q + "search_sessions s JOIN " + q
                    + "search_messages m ON m.session = s.session WHERE s.user_id = ? AND s.session_id = ? "
                    + "ORDER BY m.run_seq DESC, m.idx DESC LIMIT 1")) {
                keyParams(s, 1, session);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? Optional.of(new MessagePosition(rs.getLong(1), rs.getInt(2)))
                            : Optional.<MessagePosition>empty();
                }
            }
        });
    }

    @Override
    public void recordSession(IndexedSession record) {
        Require.notNull(record, "session");
        ensureOpen();
        call("record session " + record.key().sessionId() + " in", false, c -> {
            try (PreparedStatement s = prepare(c, "INSERT INTO " + q + "search_sessions AS t (session, user_id, "
                    + "session_id, change, version, created_s, created_ns, through_run, through_idx) SELECT s.id, "
                    + "s.user_id, s.session_id, nextval('" + q + "search_change_seq'), ?, ?, ?, ?, ? FROM " + q
                    + "sessions s WHERE s.user_id = ? AND s.session_id = ? ON CONFLICT (session) DO UPDATE SET "
                    + "version = excluded.version, created_s = excluded.created_s, created_ns = excluded.created_ns, "
                    + "through_run = excluded.through_run, through_idx = excluded.through_idx WHERE t.version IS NULL "
                    + "OR t.version <= excluded.version OR t.created_s <> excluded.created_s "
                    + "OR t.created_ns <> excluded.created_ns")) {
                s.setLong(1, record.version());
                s.setLong(2, record.createdAt().getEpochSecond());
                s.setInt(3, record.createdAt().getNano());
                if (record.through().isPresent()) {
                    s.setLong(4, record.through().get().runSequence());
                    s.setInt(5, record.through().get().index());
                } else {
                    s.setNull(4, java.sql.Types.BIGINT);
                    s.setNull(5, java.sql.Types.INTEGER);
                }
                keyParams(s, 6, record.key());
                return s.executeUpdate();
            }
        });
    }

    @Override
    public Optional<IndexedSession> indexedSession(SessionKey session) {
        Require.notNull(session, "session");
        List<IndexedSession> found = records("user_id = ? AND session_id = ?", s -> keyParams(s, 1, session));
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    @Override
    public List<IndexedSession> indexedSessions(String userId) {
        Require.notBlank(userId, "userId");
        return records("user_id = ?", s -> s.setString(1, PgText.encode(userId)));
    }

    @Override
    public List<IndexedSession> indexedSessions() {
        return records("true", s -> { });
    }

    private interface Params {
        void set(PreparedStatement s) throws SQLException;
    }

    private List<IndexedSession> records(String where, Params params) {
        ensureOpen();
        return call("read", false, c -> {
            try (PreparedStatement s = prepare(c, "SELECT user_id, session_id, version, created_s, created_ns, "
                    + "through_run, through_idx FROM " + q + "search_sessions WHERE version IS NOT NULL AND " + where)) {
                params.set(s);
                List<IndexedSession> out = new ArrayList<>();
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        long run = rs.getLong(6);
                        Optional<MessagePosition> through = rs.wasNull() ? Optional.empty()
                                : Optional.of(new MessagePosition(run, rs.getInt(7)));
                        out.add(new IndexedSession(SessionKey.of(PgText.decode(rs.getString(1)),
                                PgText.decode(rs.getString(2))), rs.getLong(3),
                                Instant.ofEpochSecond(rs.getLong(4), rs.getInt(5)), through));
                    }
                }
                return out;
            }
        });
    }

    // ---- maintenance ----

    /** Each {@link #add} and removal commits by itself: nothing to do. */
    @Override
    public void commit() {
        ensureOpen();
    }

    /**
     * Vacuums the index tables: the space of removed and replaced rows becomes reusable, and empty pages at their end
     * are returned to the file system (see {@link PostgresStorage#purge()} for what that does and does not erase).
     */
    @Override
    public void purgeDeleted() {
        ensureOpen();
        call("vacuum", false, c -> {
            try (Statement s = c.createStatement()) {
                for (String table : List.of("search_messages", "search_sessions")) {
                    s.execute("VACUUM (ANALYZE) " + q + table);
                }
            }
            return null;
        });
    }

    /** @return how many messages the index holds */
    public long size() {
        ensureOpen();
        return call("read", false, c -> {
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM " + q + "search_messages")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** @return the embedder whose vectors this index holds */
    public TextEmbedder embedder() {
        return embeddings.embedder();
    }

    /** Marks the index closed and drops the vectors held in memory; the data source stays open. */
    @Override
    public void close() {
        closed = true;
        vectors.clear();
    }

    @Override
    public String toString() {
        return "PostgresConversationIndex[schema " + schema + ", embedder=" + embeddings.embedder().modelId() + "]";
    }

    /** Refuses a storage other than the one whose sessions this index hangs off. */
    void requireIndexes(MemoryStorage other) {
        if (!(other instanceof PostgresStorage pg) || pg.dataSource() != dataSource || !pg.schema().equals(schema)) {
            throw new IllegalArgumentException("storage must be the PostgresStorage of the index's schema " + schema
                    + " (the index only holds messages of sessions in that schema), but is " + other);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("The " + this + " is closed");
        }
    }

    private static void keyParams(PreparedStatement s, int at, SessionKey key) throws SQLException {
        s.setString(at, PgText.encode(key.userId()));
        s.setString(at + 1, PgText.encode(key.sessionId()));
    }

    static byte[] bytes(float[] vector) {
        ByteBuffer b = ByteBuffer.allocate(vector.length * Float.BYTES);
        b.asFloatBuffer().put(vector);
        return b.array();
    }

    static float[] floats(byte[] bytes) {
        float[] v = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).asFloatBuffer().get(v);
        return v;
    }

    /** Configures a {@link PostgresConversationIndex}; validation happens in {@link #build()}. */
    public static final class Builder {
        private PostgresStorage storage;
        private TextEmbedder embedder;
        private int embeddingBatchSize = LuceneConversationIndex.DEFAULT_EMBEDDING_BATCH_SIZE;
        private Duration queryTimeout = Duration.ofSeconds(30);
        private int vectorCacheSize = DEFAULT_VECTOR_CACHE_SIZE;

        private Builder() {
        }

        /**
         * @param storage the storage whose sessions are indexed; required. The index's tables go into its schema and
         *     database, and its connections come from its data source.
         * @return this builder
         */
        public Builder storage(PostgresStorage storage) {
            this.storage = storage;
            return this;
        }

        /**
         * @param embedder the model that embeds messages and queries; must be thread-safe, and the same on every
         *     instance
         * @return this builder
         */
        public Builder embedder(TextEmbedder embedder) {
            this.embedder = embedder;
            return this;
        }

        /**
         * @param size how many texts go to the embedder in one call (default
         *     {@value LuceneConversationIndex#DEFAULT_EMBEDDING_BATCH_SIZE})
         * @return this builder
         */
        public Builder embeddingBatchSize(int size) {
            this.embeddingBatchSize = size;
            return this;
        }

        /**
         * @param timeout how long one statement may run (default 30 seconds; whole seconds, rounded up; zero for
         *     none)
         * @return this builder
         */
        public Builder queryTimeout(Duration timeout) {
            this.queryTimeout = timeout;
            return this;
        }

        /**
         * @param messages how many message vectors this process keeps in memory for searching (default
         *     {@value #DEFAULT_VECTOR_CACHE_SIZE}: about 300 MB at 384 dimensions); the users searched least recently
         *     are dropped first, and a user with more messages than this is read from the database at every search
         * @return this builder
         */
        public Builder vectorCacheSize(int messages) {
            this.vectorCacheSize = messages;
            return this;
        }

        /**
         * Checks the index's tables (creating them, or re-creating them when they are of another format) and
         * re-embeds every message when the embedding model changed.
         *
         * @return the index
         * @throws IllegalArgumentException naming the parameter when a value is missing or invalid
         * @throws SearchIndexException when the database cannot be used
         */
        public PostgresConversationIndex build() {
            Require.notNull(storage, "storage");
            Embeddings.require(embedder, embeddingBatchSize);
            Require.notNull(queryTimeout, "queryTimeout");
            if (queryTimeout.isNegative()) {
                throw new IllegalArgumentException("queryTimeout must not be negative, but is " + queryTimeout);
            }
            Require.positive(vectorCacheSize, "vectorCacheSize");
            return new PostgresConversationIndex(this);
        }
    }
}
