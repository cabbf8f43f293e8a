package dev.agnomemory.examples.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Spring AI's JDBC chat memory pattern on PostgreSQL ({@code JdbcChatMemoryRepository} with its PostgreSQL
 * dialect): one table of messages by conversation; every save deletes all rows of the conversation and
 * batch-inserts the whole list in one transaction, and {@code ChatMemory.add} saves after each added message. In
 * the baseline's favour the message list stays in memory (Spring AI's {@code MessageWindowChatMemory} reads it from
 * the table before each add; not counted).
 */
final class SpringAiJdbcBaseline {

    record Row(String content, String type) {
    }

    private final DataSource dataSource;
    private final Map<String, List<Row>> conversations = new HashMap<>();

    SpringAiJdbcBaseline(DataSource dataSource) throws SQLException {
        this.dataSource = dataSource;
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS spring_ai_chat_memory (conversation_id VARCHAR(36) NOT NULL, "
                    + "content TEXT NOT NULL, type VARCHAR(10) NOT NULL CHECK (type IN ('USER', 'ASSISTANT', "
                    + "'SYSTEM', 'TOOL')), \"timestamp\" TIMESTAMP NOT NULL)");
            s.execute("CREATE INDEX IF NOT EXISTS spring_ai_chat_memory_conversation_id_timestamp_idx ON "
                    + "spring_ai_chat_memory (conversation_id, \"timestamp\")");
        }
    }

    /** Stores a conversation of {@code runs} runs with one save. */
    void prefill(String conversation, int runs, TextPool texts) throws SQLException {
        saveAll(conversation, adopt(conversation, runs, texts));
    }

    /** Takes a conversation {@link #prefill} stored (in another instance, before a server restart) into memory. */
    List<Row> adopt(String conversation, int runs, TextPool texts) {
        List<Row> rows = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            for (int m = 0; m < 4; m++) {
                rows.add(new Row(texts.get(r * 4L + m), m % 2 == 0 ? "USER" : "ASSISTANT"));
            }
        }
        conversations.put(conversation, rows);
        return rows;
    }

    /** One run: four messages, each added with a save of the whole conversation. */
    void appendRun(String conversation, long run, TextPool texts) throws SQLException {
        List<Row> rows = conversations.get(conversation);
        for (int m = 0; m < 4; m++) {
            rows.add(new Row(texts.get(run * 4 + m), m % 2 == 0 ? "USER" : "ASSISTANT"));
            saveAll(conversation, rows);
        }
    }

    /** The last 3 runs: the repository reads the whole conversation, the window keeps the last 12 messages. */
    List<String> readLast3(String conversation) throws SQLException {
        List<String> all = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
                "SELECT content, type FROM spring_ai_chat_memory WHERE conversation_id = ? ORDER BY \"timestamp\"")) {
            s.setString(1, conversation);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    all.add(rs.getString(2) + ": " + rs.getString(1));
                }
            }
        }
        return List.copyOf(all.subList(Math.max(0, all.size() - 12), all.size()));
    }

    private void saveAll(String conversation, List<Row> rows) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement delete = c.prepareStatement(
                    "DELETE FROM spring_ai_chat_memory WHERE conversation_id = ?")) {
                delete.setString(1, conversation);
                delete.executeUpdate();
            }
            long millis = Instant.now().toEpochMilli();
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO spring_ai_chat_memory (conversation_id, "
                    + "content, type, \"timestamp\") VALUES (?, ?, ?, ?)")) {
                for (Row row : rows) {
                    insert.setString(1, conversation);
                    insert.setString(2, row.content());
                    insert.setString(3, row.type());
                    insert.setTimestamp(4, new Timestamp(millis++));
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            c.commit();
            c.setAutoCommit(true);
        }
    }
}
