package dev.agnomemory.examples.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.Message;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Agno's own pattern on SQLite: one row per session ({@code agno_sessions(session_id PRIMARY KEY, user_id, runs,
 * updated_at)}) whose {@code runs} column holds all the session's runs as one JSON text, upserted after each run (the
 * session is kept in memory between runs, as Agno's agent does). WAL, {@code synchronous=FULL}: a run is 1 durable
 * write of the whole session. Reading the last 3 runs reads the row and parses all of it.
 */
final class SqliteSessionStore extends SqliteStore {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<ArrayNode> runs = new ArrayList<>();
    private PreparedStatement upsert;
    private PreparedStatement select;

    private SqliteSessionStore(Path file, int runsPerSession) {
        super(file, runsPerSession);
    }

    /**
     * Creates the store with {@code sessionCount} sessions of {@code runsPerSession} runs (one upsert each).
     *
     * @param appendable whether the sessions stay in memory for {@link #appendRun} (false: only opens and reads)
     */
    static SqliteSessionStore prefill(Path file, int runsPerSession, int sessionCount, TextPool texts,
            boolean appendable) {
        SqliteSessionStore s = new SqliteSessionStore(file, runsPerSession);
        try {
            s.open();
            try (Statement st = s.connection.createStatement()) {
                st.execute("CREATE TABLE agno_sessions (session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, runs TEXT "
                        + "NOT NULL, updated_at INTEGER NOT NULL)");
            }
            s.prepare();
            long cursor = 0;
            for (int i = 0; i < sessionCount; i++) {
                s.sessions.add("user-" + i + "/session-" + i);
                ArrayNode list = JSON.createArrayNode();
                s.runs.add(list);
                for (int r = 0; r < runsPerSession; r++) {
                    list.add(run(r, AgnoStore.runMessages(texts, cursor)));
                    cursor += 4;
                }
                s.upsert(i);
                if (!appendable) {
                    s.runs.set(i, null);
                }
            }
            s.textCursor = cursor;
            return s;
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException("Cannot build the SQLite store " + file, e);
        }
    }

    @Override
    void prepare() throws SQLException {
        upsert = connection.prepareStatement("INSERT INTO agno_sessions (session_id, user_id, runs, updated_at) VALUES "
                + "(?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET runs = excluded.runs, updated_at = "
                + "excluded.updated_at");
        select = connection.prepareStatement("SELECT runs FROM agno_sessions WHERE session_id = ?");
    }

    private static ObjectNode run(long seq, Message[] messages) {
        ObjectNode run = JSON.createObjectNode();
        run.put("run_id", "run-" + seq);
        ArrayNode list = run.putArray("messages");
        for (Message m : messages) {
            list.addObject().put("id", m.id()).put("role", m.role().name()).put("content", m.content())
                    .put("created_at", m.createdAt().toEpochMilli());
        }
        run.put("status", "completed");
        return run;
    }

    private void upsert(int i) throws SQLException, JsonProcessingException {
        upsert.setString(1, sessions.get(i));
        upsert.setString(2, "user-" + i);
        upsert.setString(3, JSON.writeValueAsString(runs.get(i)));
        upsert.setLong(4, System.currentTimeMillis());
        upsert.executeUpdate();
    }

    @Override
    public RunTiming appendRun(TextPool texts) {
        int i = nextSession();
        Message[] m = nextRunMessages(texts);
        try {
            long t0 = System.nanoTime();
            runs.get(i).add(run(runs.get(i).size(), m));
            upsert(i);
            long t = System.nanoTime() - t0;
            return new RunTiming(t, t);
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int readLast3() {
        try {
            select.setString(1, sessions.get(0));
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                JsonNode all = JSON.readTree(rs.getString(1));
                int h = 3;
                for (int r = Math.max(0, all.size() - 3); r < all.size(); r++) {
                    JsonNode messages = all.get(r).get("messages");
                    h = 31 * h + messages.size();
                    h = 31 * h + messages.get(messages.size() - 1).get("content").asText().length();
                }
                return h;
            }
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
