package dev.agnomemory.examples.bench;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * SQLite as an application would use it for chat history, one row per message: {@code messages(session_id, seq,
 * run_seq, id, role, content, created_at)} with {@code PRIMARY KEY(session_id, seq)}, and {@code runs(session_id,
 * run_seq, run_id, first_seq, status, finished_at)} with {@code PRIMARY KEY(session_id, run_seq)}, written when a run
 * completes. WAL journal, {@code synchronous=FULL}, autocommit: every message is one durable transaction, as in
 * agno-memory. A run is 4 message inserts and 1 run insert: 5 durable writes. Reading the last 3 runs is 2 indexed
 * queries (the runs, then their messages from the first one's first message on), mapped to {@link Message}s.
 */
final class SqliteRowStore extends SqliteStore {

    private final List<long[]> counters = new ArrayList<>(); // per session: next run_seq, next message seq
    private PreparedStatement insertMessage;
    private PreparedStatement insertRun;
    private PreparedStatement lastRuns;
    private PreparedStatement messagesFrom;

    private SqliteRowStore(Path file, int runsPerSession) {
        super(file, runsPerSession);
    }

    /** Creates the store with {@code sessionCount} sessions of {@code runsPerSession} runs (pre-filled in one transaction). */
    static SqliteRowStore prefill(Path file, int runsPerSession, int sessionCount, TextPool texts) {
        SqliteRowStore s = new SqliteRowStore(file, runsPerSession);
        try {
            s.open();
            try (Statement st = s.connection.createStatement()) {
                st.execute("CREATE TABLE messages (session_id TEXT NOT NULL, seq INTEGER NOT NULL, run_seq INTEGER "
                        + "NOT NULL, id TEXT NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER "
                        + "NOT NULL, PRIMARY KEY (session_id, seq))");
                st.execute("CREATE TABLE runs (session_id TEXT NOT NULL, run_seq INTEGER NOT NULL, run_id TEXT NOT "
                        + "NULL, first_seq INTEGER NOT NULL, status TEXT NOT NULL, finished_at INTEGER, PRIMARY KEY "
                        + "(session_id, run_seq))");
            }
            s.prepare();
            s.connection.setAutoCommit(false);
            long cursor = 0;
            for (int i = 0; i < sessionCount; i++) {
                String session = "user-" + i + "/session-" + i;
                s.sessions.add(session);
                long[] c = new long[2];
                s.counters.add(c);
                for (int r = 0; r < runsPerSession; r++) {
                    s.writeRun(session, c, AgnoStore.runMessages(texts, cursor));
                    cursor += 4;
                }
            }
            s.connection.commit();
            s.connection.setAutoCommit(true);
            s.textCursor = cursor;
            return s;
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot build the SQLite store " + file, e);
        }
    }

    @Override
    void prepare() throws SQLException {
        insertMessage = connection.prepareStatement("INSERT INTO messages (session_id, seq, run_seq, id, role, "
                + "content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
        insertRun = connection.prepareStatement("INSERT INTO runs (session_id, run_seq, run_id, first_seq, status, "
                + "finished_at) VALUES (?, ?, ?, ?, 'completed', ?)");
        lastRuns = connection.prepareStatement("SELECT run_seq, first_seq FROM runs WHERE session_id = ? ORDER BY "
                + "run_seq DESC LIMIT 3");
        messagesFrom = connection.prepareStatement("SELECT seq, run_seq, id, role, content, created_at FROM messages "
                + "WHERE session_id = ? AND seq >= ? ORDER BY seq");
    }

    /** Writes one run: 4 message inserts, then the run's row. */
    private RunTiming writeRun(String session, long[] c, Message[] m) throws SQLException {
        long t0 = System.nanoTime();
        long runSeq = c[0]++;
        long first = c[1];
        for (Message message : m) {
            insertMessage(session, c[1]++, runSeq, message);
        }
        long t1 = System.nanoTime();
        insertRun.setString(1, session);
        insertRun.setLong(2, runSeq);
        insertRun.setString(3, "run-" + runSeq);
        insertRun.setLong(4, first);
        insertRun.setLong(5, System.currentTimeMillis());
        insertRun.executeUpdate();
        return new RunTiming(System.nanoTime() - t0, t1 - t0);
    }

    private void insertMessage(String session, long seq, long runSeq, Message m) throws SQLException {
        insertMessage.setString(1, session);
        insertMessage.setLong(2, seq);
        insertMessage.setLong(3, runSeq);
        insertMessage.setString(4, m.id());
        insertMessage.setString(5, m.role().name());
        insertMessage.setString(6, m.content());
        insertMessage.setLong(7, m.createdAt().toEpochMilli());
        insertMessage.executeUpdate();
    }

    @Override
    public RunTiming appendRun(TextPool texts) {
        int i = nextSession();
        Message[] m = nextRunMessages(texts);
        try {
            return writeRun(sessions.get(i), counters.get(i), m);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int readLast3() {
        try {
            String session = sessions.get(0);
            lastRuns.setString(1, session);
            long first = Long.MAX_VALUE;
            int runs = 0;
            try (ResultSet rs = lastRuns.executeQuery()) {
                while (rs.next()) {
                    first = Math.min(first, rs.getLong(2));
                    runs++;
                }
            }
            messagesFrom.setString(1, session);
            messagesFrom.setLong(2, first);
            List<List<Message>> out = new ArrayList<>();
            long currentRun = -1;
            try (ResultSet rs = messagesFrom.executeQuery()) {
                while (rs.next()) {
                    long runSeq = rs.getLong(2);
                    if (runSeq != currentRun) {
                        out.add(new ArrayList<>(4));
                        currentRun = runSeq;
                    }
                    out.get(out.size() - 1).add(Message.builder(Role.valueOf(rs.getString(4))).id(rs.getString(3))
                            .content(rs.getString(5)).createdAt(Instant.ofEpochMilli(rs.getLong(6))).build());
                }
            }
            int h = runs;
            for (List<Message> r : out) {
                h = 31 * h + r.size();
                h = 31 * h + r.get(r.size() - 1).content().length();
            }
            return h;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
