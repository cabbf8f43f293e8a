package dev.agnomemory.examples.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Agno v2's pattern on PostgreSQL ({@code PostgresDb.upsert_session}): one row per session whose {@code runs}
 * {@code jsonb} holds every run with its messages; after each run the whole session is upserted
 * ({@code INSERT ... ON CONFLICT (session_id) DO UPDATE ... RETURNING *}) and the returned row read. In the baseline's
 * favour the runs stay serialized in memory (Agno reads and deserializes the session at the start of a run, and
 * serializes every run again for the upsert; not counted), and reads only parse the JSON.
 */
final class AgnoJsonbBaseline {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DataSource dataSource;
    private final Map<String, List<String>> runsJson = new HashMap<>();

    AgnoJsonbBaseline(DataSource dataSource) throws SQLException {
        this.dataSource = dataSource;
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS agno_sessions (session_id VARCHAR PRIMARY KEY, session_type VARCHAR "
                    + "NOT NULL, agent_id VARCHAR, team_id VARCHAR, workflow_id VARCHAR, user_id VARCHAR, "
                    + "session_data JSONB, agent_data JSONB, team_data JSONB, workflow_data JSONB, metadata JSONB, "
                    + "runs JSONB, summary JSONB, created_at BIGINT NOT NULL, updated_at BIGINT)");
            s.execute("CREATE INDEX IF NOT EXISTS agno_sessions_user_id ON agno_sessions (user_id)");
        }
    }

    void prefill(String session, int runs, TextPool texts) throws SQLException {
        upsert(session, adopt(session, runs, texts));
    }

    /** Takes a session {@link #prefill} stored (in another instance, before a server restart) into memory. */
    List<String> adopt(String session, int runs, TextPool texts) {
        List<String> list = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            list.add(run(session, r, texts));
        }
        runsJson.put(session, list);
        return list;
    }

    /** One run: its messages added to the session's runs, then the whole session upserted. */
    void appendRun(String session, long run, TextPool texts) throws SQLException {
        List<String> list = runsJson.get(session);
        list.add(run(session, run, texts));
        upsert(session, list);
    }

    /** The last 3 runs' messages: the session row read and its runs parsed. */
    List<String> readLast3(String session) throws SQLException {
        String runs;
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT runs FROM agno_sessions WHERE session_id = ?")) {
            s.setString(1, session);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                runs = rs.getString(1);
            }
        }
        try {
            JsonNode all = JSON.readTree(runs);
            List<String> out = new ArrayList<>();
            for (int i = Math.max(0, all.size() - 3); i < all.size(); i++) {
                for (JsonNode m : all.get(i).get("messages")) {
                    out.add(m.get("role").asText() + ": " + m.get("content").asText());
                }
            }
            return out;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void upsert(String session, List<String> runs) throws SQLException {
        String array = "[" + String.join(",", runs) + "]";
        long now = System.currentTimeMillis() / 1000;
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("INSERT INTO "
                + "agno_sessions (session_id, session_type, agent_id, user_id, session_data, agent_data, metadata, "
                + "runs, summary, created_at, updated_at) VALUES (?, 'agent', 'bench-agent', 'bench-user', "
                + "'{}'::jsonb, '{}'::jsonb, '{}'::jsonb, ?::jsonb, NULL, ?, ?) ON CONFLICT (session_id) DO UPDATE "
                + "SET agent_id = excluded.agent_id, user_id = excluded.user_id, session_data = excluded.session_data, "
                + "agent_data = excluded.agent_data, metadata = excluded.metadata, runs = excluded.runs, "
                + "summary = excluded.summary, updated_at = excluded.updated_at RETURNING *")) {
            s.setString(1, session);
            s.setString(2, array);
            s.setLong(3, now);
            s.setLong(4, now);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                rs.getString("runs"); // Agno reads the returned row back into the session
            }
        }
    }

    private static String run(String session, long run, TextPool texts) {
        ObjectNode r = JSON.createObjectNode();
        r.put("run_id", session + "-run-" + run);
        r.put("agent_id", "bench-agent");
        r.put("session_id", session);
        r.put("status", "COMPLETED");
        r.put("created_at", 1_700_000_000L + run);
        ArrayNode messages = r.putArray("messages");
        for (int m = 0; m < 4; m++) {
            ObjectNode msg = messages.addObject();
            msg.put("id", session + "-" + run + "-" + m);
            msg.put("role", m % 2 == 0 ? "user" : "assistant");
            msg.put("content", texts.get(run * 4 + m));
            msg.put("created_at", 1_700_000_000L + run);
        }
        return r.toString();
    }
}
