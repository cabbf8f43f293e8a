package dev.agnomemory.core.search;

import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.postgres.PostgresStorage;
import dev.agnomemory.core.testing.PostgresServer;
import dev.agnomemory.core.testing.TickingClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The conversation search over a PostgresStorage, with the PostgreSQL index in its schema. */
class PostgresConversationSearchTest extends ConversationSearchContractTest {

    private static PostgresServer.Database database;
    private static int schemas;
    private final String schema = "search_" + ++schemas;
    private final TickingClock clock = new TickingClock();

    @BeforeAll
    static void createDatabase() {
        database = PostgresServer.shared().createDatabase("service");
    }

    @AfterAll
    static void closeDatabase() {
        database.close();
    }

    @Override
    protected MemoryStorage openStorage() {
        return PostgresStorage.builder().dataSource(database.dataSource()).schema(schema).clock(clock).build();
    }

    @Override
    protected ConversationIndex openIndex(TextEmbedder embedder) {
        return PostgresConversationIndex.builder().storage((PostgresStorage) storage).embedder(embedder).build();
    }

    @Override
    protected boolean storageDeletesReachTheIndex() {
        return true;
    }

    /** The index's rows (a deleted row's bytes stay in the table's pages until vacuumed and reused). */
    @Override
    protected boolean indexFilesContain(String text) {
        try (Connection c = database.dataSource().getConnection();
                PreparedStatement s = c.prepareStatement("SELECT count(*) FROM " + schema
                        + ".search_messages WHERE strpos(text, ?) > 0")) {
            s.setString(1, text);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
