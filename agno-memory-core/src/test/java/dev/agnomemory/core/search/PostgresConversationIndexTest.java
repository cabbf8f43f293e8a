package dev.agnomemory.core.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.core.storage.postgres.PostgresStorage;
import dev.agnomemory.core.testing.LogLines;
import dev.agnomemory.core.testing.PostgresServer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The index contract on a real PostgreSQL server (a fresh schema per test), and what is PostgreSQL's own: rows
 * deleted with their stored session, tables rebuilt, several instances, the vector cache, vacuum.
 */
class PostgresConversationIndexTest extends ConversationIndexContractTest {

    private static PostgresServer.Database database;
    private static int schemas;
    private PostgresStorage storage;

    @BeforeAll
    static void createDatabase() {
        database = PostgresServer.shared().createDatabase("search");
    }

    @AfterAll
    static void closeDatabase() {
        database.close();
    }

    @BeforeEach
    void freshSchema() {
        storage = PostgresStorage.builder().dataSource(database.dataSource()).schema("idx_" + ++schemas).build();
    }

    @Override
    protected ConversationIndex open(TextEmbedder embedder) {
        return PostgresConversationIndex.builder().storage(storage).embedder(embedder).build();
    }

    @Override
    protected long size(ConversationIndex index) {
        return ((PostgresConversationIndex) index).size();
    }

    @Override
    protected void sessionsExist(Set<SessionKey> keys) {
        keys.forEach(k -> storage.getOrCreateSession(k, null));
    }

    @Test
    void deletingAStoredSessionDeletesItsEntriesInTheSameTransaction() {
        ConversationIndex index = index(new HashingEmbedder());
        add(index, session("alice", "gone", "the quokka secret", "noted"));
        add(index, session("alice", "kept", "the quokka is kept"));
        SessionKey gone = SessionKey.of("alice", "gone");
        assertThat(index.search("alice", "quokka", 10)).hasSize(3);

        storage.deleteSession(gone);

        assertThat(index.search("alice", "quokka secret", 10)).extracting(h -> h.message().sessionId())
                .containsOnly("kept");
        assertThat(index.indexedSession(gone)).isEmpty();
        assertThat(size(index)).isEqualTo(1);
        // The same key again is another session: nothing of the old one comes back.
        storage.getOrCreateSession(gone, null);
        assertThat(index.lastIndexedPosition(gone)).isEmpty();
    }

    @Test
    void messagesOfASessionThatIsNotStoredAreNotIndexed() {
        ConversationIndex index = index(new HashingEmbedder());
        index.add(session("alice", "never-stored", "a lost message"));
        index.recordSession(new IndexedSession(SessionKey.of("alice", "never-stored"), 1, T0,
                java.util.Optional.empty()));

        assertThat(size(index)).isZero();
        assertThat(index.indexedSessions()).isEmpty();
        assertThat(index.search("alice", "lost message", 5)).isEmpty();
    }

    @Test
    void tablesOfAnotherFormatOrIncompleteAreLoggedDroppedAndCreatedEmpty() throws SQLException {
        ConversationIndex first = index(new HashingEmbedder());
        add(first, session("alice", "s", "hello there"));
        first.close();
        execute("UPDATE " + storage.schema() + ".search_index SET format = 0");
        String log = LogLines.during(() -> restart(first, new HashingEmbedder()).close());
        assertThat(log).contains("schema " + storage.schema()).contains("is of format 0")
                .contains("dropping it and starting empty");

        execute("DROP TABLE " + storage.schema() + ".search_messages");
        String[] again = new String[1];
        log = LogLines.during(() -> {
            ConversationIndex index = index(new HashingEmbedder());
            again[0] = index.search("alice", "hello", 5).toString();
            add(index, session("alice", "s", "hello again"));
            again[0] += index.search("alice", "hello", 5).get(0).message().text();
        });
        assertThat(log).contains("lacks search_messages");
        assertThat(again[0]).isEqualTo("[]hello again");
    }

    @Test
    void tablesOfANewerFormatAreRefusedAndLeftAsTheyAre() throws SQLException {
        ConversationIndex first = index(new HashingEmbedder());
        add(first, session("alice", "s", "hello there"));
        first.close();
        execute("UPDATE " + storage.schema() + ".search_index SET format = 99");

        assertThatThrownBy(() -> open(new HashingEmbedder())).isInstanceOf(SearchIndexException.class)
                .hasMessageContaining("schema " + storage.schema()).hasMessageContaining("format 99")
                .hasMessageContaining("newer agno-memory");

        execute("UPDATE " + storage.schema() + ".search_index SET format = " + PgIndexTables.FORMAT);
        ConversationIndex again = index(new HashingEmbedder());
        assertThat(again.search("alice", "hello", 5)).extracting(h -> h.message().text())
                .containsExactly("hello there");
    }

    @Test
    void anIndexNeedsTheStorageTablesAndASearchNeedsItsOwnStorage() {
        PostgresStorage other = PostgresStorage.builder().dataSource(database.dataSource())
                .schema("idx_other_" + schemas).build();
        try (ConversationIndex index = index(new HashingEmbedder());
                MapDbStorage mapdb = MapDbStorage.inMemory()) {
            assertThatThrownBy(() -> ConversationSearch.builder().storage(other).index(index).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(storage.schema());
            assertThatThrownBy(() -> ConversationSearch.builder().storage(mapdb).index(index).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PostgresStorage");
        }
        assertThatThrownBy(() -> PostgresConversationIndex.builder().embedder(new HashingEmbedder()).build())
                .hasMessageContaining("storage");
        assertThatThrownBy(() -> PostgresConversationIndex.builder().storage(storage).build())
                .hasMessageContaining("embedder");
    }

    @Test
    void everyInstanceSeesTheOthersWritesAndDeletesAtItsNextSearch() {
        PostgresStorage storageB = PostgresStorage.builder().dataSource(PostgresServer.pool(database.jdbcUrl(), 4))
                .schema(storage.schema()).build();
        ConversationIndex a = index(new HashingEmbedder());
        ConversationIndex b = PostgresConversationIndex.builder().storage(storageB).embedder(new HashingEmbedder())
                .build();
        try {
            add(a, session("alice", "s1", "penguins march on the ice", "they do"));
            assertThat(b.search("alice", "penguins", 5)).hasSize(2); // b's vectors of alice now held in memory
            add(a, List.of(message("alice", "s1", 1, 0, dev.agnomemory.core.Role.USER, "penguins swim too")));
            add(a, session("alice", "s2", "more penguins here"));
            assertThat(b.search("alice", "penguins", 10)).extracting(h -> h.message().text())
                    .contains("penguins swim too", "more penguins here");

            storageB.deleteSession(SessionKey.of("alice", "s1"));
            assertThat(a.search("alice", "penguins", 10)).extracting(h -> h.message().text())
                    .containsExactly("more penguins here");
            assertThat(b.search("alice", "penguins", 10)).hasSize(1);
        } finally {
            b.close();
        }
    }

    @Test
    void aUserLargerThanTheVectorCacheIsStillSearchedExactly() {
        PostgresConversationIndex small = PostgresConversationIndex.builder().storage(storage)
                .embedder(new HashingEmbedder()).vectorCacheSize(3).build();
        try {
            List<dev.agnomemory.core.search.IndexedMessage> many = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                many.add(message("alice", "s", i, 0, dev.agnomemory.core.Role.USER, "message number " + i));
            }
            add(small, many);
            add(small, session("bob", "s", "bob's message", "two"));
            for (int round = 0; round < 2; round++) {
                assertThat(small.search("alice", "number 7", 1).get(0).message().text()).isEqualTo("message number 7");
                assertThat(small.search("bob", "message", 5)).hasSize(2);
            }
        } finally {
            small.close();
        }
    }

    @Test
    void purgeVacuumsTheRemovedRowsAway() throws SQLException {
        ConversationIndex index = index(new HashingEmbedder());
        add(index, session("alice", "small", "kept"));
        List<IndexedMessage> big = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            big.add(message("alice", "big", i, 0, dev.agnomemory.core.Role.USER, "a long message " + i + " "
                    + "filler ".repeat(200)));
        }
        add(index, big);
        long full = tableBytes();
        index.removeSession(SessionKey.of("alice", "big"));
        assertThat(tableBytes()).as("deleted rows stay in the table until vacuumed").isEqualTo(full);

        index.purgeDeleted();

        assertThat(tableBytes()).isLessThan(full / 4);
        assertThat(index.search("alice", "kept", 5)).hasSize(1);
    }

    private long tableBytes() throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_relation_size('" + storage.schema()
                        + ".search_messages')")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
