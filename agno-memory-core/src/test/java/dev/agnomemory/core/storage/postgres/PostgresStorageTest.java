package dev.agnomemory.core.storage.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.SessionFilter;
import dev.agnomemory.core.testing.PostgresServer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What PostgresStorage adds to the storage contract: its schema checks, encodings, durability and purge. */
class PostgresStorageTest {

    private static final SessionKey ALICE = SessionKey.of("alice", "s1");

    private static PostgresServer.Database database;
    private static int schemas;

    @BeforeAll
    static void createDatabase() {
        database = PostgresServer.shared().createDatabase("storage");
    }

    @AfterAll
    static void closeDatabase() {
        database.close();
    }

    private static String freshSchema() {
        return "t_" + ++schemas;
    }

    private static PostgresStorage open(String schema) {
        return PostgresStorage.builder().dataSource(database.dataSource()).schema(schema).build();
    }

    // ---- the schema ----

    @Test
    void createsTheSchemaOnFirstUseAndRecordsItsVersion() throws SQLException {
        String schema = freshSchema();
        try (PostgresStorage storage = open(schema)) {
            storage.getOrCreateSession(ALICE, null);
        }
        assertThat(query("SELECT version || ' ' || product FROM " + schema + ".agno_memory_schema ORDER BY version"))
                .containsExactly("1 agno-memory", "2 agno-memory");
        try (PostgresStorage again = open(schema)) {
            assertThat(again.session(ALICE)).isPresent();
        }
    }

    @Test
    void theShippedSqlFilesCreateTheSameSchemaForARoleThatMayNotCreateTables() throws Exception {
        String schema = freshSchema();
        // as docs/postgres.md says: the files in order, another schema name by replacing the qualifier
        execute("CREATE SCHEMA " + schema + "; " + shippedSql("schema-v1.sql", schema) + shippedSql("schema-v2.sql",
                schema));
        try (PostgresStorage storage = PostgresStorage.builder().dataSource(database.dataSource()).schema(schema)
                .createSchema(false).build()) {
            storage.getOrCreateSession(ALICE, null);
            storage.appendMessage(ALICE, "r1", Message.user("hi"));
            assertThat(storage.lastRuns(ALICE, 1)).hasSize(1);
        }
    }

    @Test
    void aVersion1SchemaIsMigratedKeepingItsData() throws Exception {
        String schema = freshSchema();
        execute("CREATE SCHEMA " + schema + "; " + shippedSql("schema-v1.sql", schema));
        // written as version 1 did, with its own functions
        execute("SELECT * FROM " + schema + ".create_session('alice', 's1', 'agent', now(), 0::smallint); "
                + "SELECT * FROM " + schema + ".append_messages('alice', 's1', 'r1', now(), 0::smallint, NULL, "
                + "'{m1}', '{USER}', '{written by v1}', '{NULL}', '{NULL}', '{NULL}', '{false}', ARRAY[now()], '{0}', "
                + "'{NULL}')");
        try (PostgresStorage storage = open(schema)) {
            assertThat(query("SELECT version FROM " + schema + ".agno_memory_schema ORDER BY version"))
                    .containsExactly("1", "2");
            assertThat(query("SELECT column_name FROM information_schema.columns WHERE table_schema = '" + schema
                    + "' AND table_name = 'sessions' AND column_name LIKE 'turn%'")).containsExactly("turn_epoch");
            assertThat(storage.session(ALICE).orElseThrow().agentId()).hasValue("agent");
            try (var turn = storage.turns().acquire(ALICE, Duration.ZERO)) {
                turn.storage().appendMessage(ALICE, "r1", Message.assistant("written through a turn"));
            }
            assertThat(storage.lastRuns(ALICE, 1).get(0).messages()).extracting(Message::content)
                    .containsExactly("written by v1", "written through a turn");
        }
    }

    @Test
    void aNewerSchemaIsRefusedAndLeftUnchanged() throws SQLException {
        String schema = freshSchema();
        open(schema).close();
        execute("INSERT INTO " + schema + ".agno_memory_schema (version, description, product) "
                + "VALUES (3, 'from the future', 'agno-memory')");
        String before = snapshot(schema);
        assertThatThrownBy(() -> open(schema)).isInstanceOf(PostgresSchemaException.class)
                .hasMessageContaining("schema " + schema).hasMessageContaining("version 3")
                .hasMessageContaining("newer").hasMessageContaining("Nothing was changed");
        assertThat(snapshot(schema)).isEqualTo(before);
    }

    @Test
    void tablesThatAreNotOursAreRefusedAndLeftUnchanged() throws SQLException {
        String schema = freshSchema();
        execute("CREATE SCHEMA " + schema + "; CREATE TABLE " + schema + ".sessions (token text PRIMARY KEY); "
                + "INSERT INTO " + schema + ".sessions VALUES ('web-session-1')");
        String before = snapshot(schema);
        assertThatThrownBy(() -> open(schema)).isInstanceOf(PostgresSchemaException.class)
                .hasMessageContaining("sessions").hasMessageContaining("not agno-memory's");
        assertThat(snapshot(schema)).isEqualTo(before);
        assertThat(query("SELECT token FROM " + schema + ".sessions")).containsExactly("web-session-1");

        String flyway = freshSchema(); // an old Flyway's table of the same name as ours
        execute("CREATE SCHEMA " + flyway + "; CREATE TABLE " + flyway + ".agno_memory_schema (version int, script "
                + "text)");
        String flywayBefore = snapshot(flyway);
        assertThatThrownBy(() -> open(flyway)).isInstanceOf(PostgresSchemaException.class)
                .hasMessageContaining("agno_memory_schema").hasMessageContaining("not agno-memory's");
        assertThat(snapshot(flyway)).isEqualTo(flywayBefore);
    }

    @Test
    void aSchemaMissingPartsOrCreationSwitchedOffIsRefused() throws SQLException {
        String empty = freshSchema();
        assertThatThrownBy(() -> PostgresStorage.builder().dataSource(database.dataSource()).schema(empty)
                .createSchema(false).build()).isInstanceOf(PostgresSchemaException.class)
                .hasMessageContaining("schema-v1.sql");
        assertThat(query("SELECT nspname FROM pg_namespace WHERE nspname = '" + empty + "'")).isEmpty();

        String damaged = freshSchema();
        open(damaged).close();
        execute("DROP FUNCTION " + damaged + ".finish_run");
        assertThatThrownBy(() -> open(damaged)).isInstanceOf(PostgresSchemaException.class)
                .hasMessageContaining("finish_run()");
    }

    @Test
    void instancesStartingTogetherOnAnEmptySchemaAllSucceed() throws Exception {
        String schema = freshSchema();
        List<Future<PostgresStorage>> opened = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int i = 0; i < 4; i++) {
                opened.add(pool.submit((Callable<PostgresStorage>) () -> open(schema)));
            }
            for (Future<PostgresStorage> f : opened) {
                f.get().close();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(query("SELECT count(*) FROM " + schema + ".agno_memory_schema")).containsExactly(
                String.valueOf(Migration.ALL.size()));
    }

    @Test
    void theBuilderValidatesItsSettings() {
        assertThatThrownBy(() -> PostgresStorage.builder().build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dataSource");
        DataSource ds = database.dataSource();
        assertThatThrownBy(() -> PostgresStorage.builder().dataSource(ds).schema("Bad-Name").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("schema");
        assertThatThrownBy(() -> PostgresStorage.builder().dataSource(ds).clock(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clock");
        assertThatThrownBy(() -> PostgresStorage.builder().dataSource(ds).queryTimeout(Duration.ofSeconds(-1))
                .build()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("queryTimeout");
    }

    // ---- encodings ----

    @Test
    void idsWithNulAndLoneSurrogatesAreKeysLikeAnyOther() {
        try (PostgresStorage storage = open(freshSchema())) {
            SessionKey odd = SessionKey.of("u\u0000ser", "s\uD800");
            SessionKey similar = SessionKey.of("u\uFDD00000ser", "s\uD800");
            storage.getOrCreateSession(odd, "a\u0000gent");
            storage.getOrCreateSession(similar, null);
            storage.appendMessage(odd, "r\uDC00", Message.user("odd"));
            storage.appendMessage(similar, "r1", Message.user("similar"));
            assertThat(storage.lastRuns(odd, 5)).extracting(Run::runId).containsExactly("r\uDC00");
            assertThat(storage.lastRuns(similar, 5).get(0).messages().get(0).content()).isEqualTo("similar");
            assertThat(storage.sessionKeys(SessionFilter.byUser("u\u0000ser"))).containsExactly(odd);
            assertThat(storage.sessionKeys(SessionFilter.byAgent("a\u0000gent"))).containsExactly(odd);
        }
    }

    @Test
    void timesKeepTheirNanosecondsAcrossPostgresWholeRange() {
        List<Instant> times = List.of(PgTime.MIN, PgTime.END.minusNanos(1), Instant.parse("1582-10-10T12:00:00Z"),
                Instant.parse("-0001-06-30T23:59:59.999999999Z"), Instant.parse("1969-12-31T23:59:59.000000001Z"),
                Instant.parse("2026-05-06T07:08:09.123456789Z"));
        try (PostgresStorage storage = open(freshSchema())) {
            storage.getOrCreateSession(ALICE, null);
            for (Instant t : times) {
                storage.appendMessage(ALICE, "r1", Message.builder(Role.USER).content(t.toString()).createdAt(t)
                        .build());
            }
            storage.saveSummary(ALICE, new SessionSummary("s", List.of(), 0, PgTime.MIN));
            assertThat(storage.lastRuns(ALICE, 1).get(0).messages()).extracting(Message::createdAt)
                    .containsExactlyElementsOf(times);
            assertThat(storage.summary(ALICE).orElseThrow().updatedAt()).isEqualTo(PgTime.MIN);

            long version = storage.sessionVersion(ALICE).orElseThrow();
            Message tooLate = Message.builder(Role.USER).content("x").createdAt(Instant.MAX).build();
            assertThatThrownBy(() -> storage.appendMessages(ALICE, "r1", List.of(Message.user("ok"), tooLate)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("createdAt of message 1");
            assertThat(storage.sessionVersion(ALICE)).hasValue(version);
        }
    }

    @Test
    void embeddingsReadBackBitForBitWithoutRecomputing() {
        float[] vector = {Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE, -0.0f, 0.0f, Float.NaN,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.1f, 1.17549435E-38f, 3.4e-39f};
        String schema = freshSchema();
        try (PostgresStorage storage = open(schema)) {
            UserMemory m = UserMemory.create("alice", "Alice likes tea", null, null);
            storage.saveMemory(m);
            storage.saveMemoryEmbedding(new MemoryEmbedding("alice", m.memoryId(), "minilm", m.memory(), vector));
        }
        try (PostgresStorage reopened = open(schema)) {
            float[] read = reopened.memoryEmbeddings("alice").get(0).vector();
            assertThat(read).hasSize(vector.length);
            for (int i = 0; i < vector.length; i++) {
                assertThat(Float.floatToIntBits(read[i])).as("component %d", i)
                        .isEqualTo(Float.floatToIntBits(vector[i]));
            }
        }
    }

    @Test
    void ordinaryContentIsSearchableWithPostgresFullTextSearch() throws SQLException {
        String schema = freshSchema();
        try (PostgresStorage storage = open(schema)) {
            storage.getOrCreateSession(ALICE, null);
            storage.appendMessages(ALICE, "r1", List.of(Message.user("What is the weather in Lisbon?"),
                    Message.assistant("Sunny\u0000 and warm in Lisbon")));
        }
        assertThat(query("SELECT content FROM " + schema + ".messages WHERE to_tsvector('english', content) @@ "
                + "plainto_tsquery('english', 'lisbon weather')")).containsExactly("What is the weather in Lisbon?");
        assertThat(query("SELECT count(*) FROM " + schema + ".messages WHERE to_tsvector('english', content) @@ "
                + "plainto_tsquery('english', 'warm')")).as("a text with NUL is still found by its words")
                .containsExactly("1");
    }

    // ---- durability, fencing, purge ----

    @Test
    void aWriteIsCommittedSynchronouslyEvenWhenTheConnectionHasItOff() throws SQLException {
        String schema = freshSchema();
        open(schema).getOrCreateSession(ALICE, null);
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("SET LOCAL synchronous_commit = off");
            s.execute("SELECT * FROM " + schema + ".append_messages('alice', 's1', 'r1', now(), 0::smallint, NULL, "
                    + "'{m1}', '{USER}', '{hi}', '{NULL}', '{NULL}', '{NULL}', '{false}', ARRAY[now()], '{0}', "
                    + "'{NULL}')");
            try (ResultSet rs = s.executeQuery("SHOW synchronous_commit")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("on");
            }
            c.commit();
        }
    }

    @Test
    void aWriteCarryingAStaleTurnEpochIsRejectedAndChangesNothing() throws SQLException {
        // The fencing token of the distributed turn (docs/postgres.md): checked under the session's row lock.
        String schema = freshSchema();
        try (PostgresStorage storage = open(schema)) {
            storage.getOrCreateSession(ALICE, null);
            storage.appendMessage(ALICE, "r1", Message.user("q"));
            execute("INSERT INTO " + schema + ".session_turns VALUES ('alice', 's1', 7, 'test', now() + interval "
                    + "'1 hour')");
            String call = "SELECT o_outcome FROM " + schema + ".append_messages('alice', 's1', 'r1', now(), "
                    + "0::smallint, %d, '{m}', '{ASSISTANT}', '{late}', '{NULL}', '{NULL}', '{NULL}', '{false}', "
                    + "ARRAY[now()], '{0}', '{NULL}')";
            assertThat(query(String.format(call, 6))).containsExactly("STALE_TURN");
            assertThat(query("SELECT " + schema + ".delete_session('alice', 's1', 6)")).containsExactly("STALE_TURN");
            assertThat(storage.lastRuns(ALICE, 1).get(0).messages()).extracting(Message::content).containsExactly("q");
            assertThat(query(String.format(call, 7))).containsExactly("OK");
            assertThat(storage.lastRuns(ALICE, 1).get(0).messages()).extracting(Message::content)
                    .containsExactly("q", "late");
        }
    }

    @Test
    void twoInstancesAppendingToOneSessionTakeTurnsInTheDatabase() throws Exception {
        String schema = freshSchema();
        try (var poolA = PostgresServer.pool(database.jdbcUrl(), 4);
                var poolB = PostgresServer.pool(database.jdbcUrl(), 4);
                PostgresStorage a = PostgresStorage.builder().dataSource(poolA).schema(schema).build();
                PostgresStorage b = PostgresStorage.builder().dataSource(poolB).schema(schema).build()) {
            a.getOrCreateSession(ALICE, null);
            ExecutorService threads = Executors.newFixedThreadPool(4);
            List<Future<List<MessagePosition>>> positions = new ArrayList<>();
            try {
                for (int t = 0; t < 4; t++) {
                    PostgresStorage instance = t % 2 == 0 ? a : b;
                    int thread = t;
                    positions.add(threads.submit(() -> {
                        List<MessagePosition> mine = new ArrayList<>();
                        for (int r = 0; r < 20; r++) {
                            mine.addAll(instance.appendMessages(ALICE, "t" + thread + "-r" + r,
                                    List.of(Message.user(thread + "/" + r + " q"), Message.assistant(thread + "/" + r
                                            + " a"))));
                        }
                        return mine;
                    }));
                }
                List<MessagePosition> all = new ArrayList<>();
                for (Future<List<MessagePosition>> f : positions) {
                    all.addAll(f.get());
                }
                assertThat(all).hasSize(160).doesNotHaveDuplicates();
            } finally {
                threads.shutdownNow();
            }
            List<Run> runs = b.runs(ALICE).toList();
            assertThat(runs).hasSize(80);
            for (Run run : runs) {
                String prefix = run.runId().substring(1).replace("-r", "/");
                assertThat(run.messages()).extracting(Message::content).containsExactly(prefix + " q", prefix + " a");
            }
        }
    }

    @Test
    void aCallWaitingLongerThanTheQueryTimeoutFailsNamingItAndChangesNothing() throws SQLException {
        String schema = freshSchema();
        try (PostgresStorage storage = PostgresStorage.builder().dataSource(database.dataSource()).schema(schema)
                .queryTimeout(Duration.ofMillis(500)).build();
                Connection blocker = database.dataSource().getConnection()) {
            storage.getOrCreateSession(ALICE, null);
            blocker.setAutoCommit(false);
            try (Statement s = blocker.createStatement()) {
                s.execute("SELECT 1 FROM " + schema + ".sessions FOR UPDATE"); // another instance mid-write, stuck
            }
            assertThatThrownBy(() -> storage.appendMessage(ALICE, "r1", Message.user("waits")))
                    .isInstanceOf(dev.agnomemory.core.storage.StorageException.class)
                    .hasMessageContaining("Appending a message to run r1 of session s1 of user alice failed")
                    .hasMessageContaining("timed out");
            blocker.rollback();
            assertThat(storage.lastRuns(ALICE, 1)).isEmpty();
            storage.appendMessage(ALICE, "r1", Message.user("goes through"));
            assertThat(storage.lastRuns(ALICE, 1)).hasSize(1);
        }
    }

    @Test
    void purgeVacuumsSoThatTheDeletedSessionsSpaceIsGivenBack() throws SQLException {
        String schema = freshSchema();
        try (PostgresStorage storage = open(schema)) {
            SessionKey big = SessionKey.of("bob", "big");
            storage.getOrCreateSession(ALICE, null);
            storage.appendMessage(ALICE, "r1", Message.user("keep me"));
            storage.getOrCreateSession(big, null);
            Random random = new Random(1);
            for (int r = 0; r < 40; r++) {
                List<Message> batch = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    StringBuilder text = new StringBuilder();
                    for (int k = 0; k < 3000; k++) {
                        text.append((char) ('a' + random.nextInt(26)));
                    }
                    batch.add(Message.user(text.toString()));
                }
                storage.appendMessages(big, "r" + r, batch);
            }
            long before = size(schema + ".messages");
            assertThat(storage.deleteSession(big)).isTrue();
            assertThat(storage.session(big)).isEmpty();
            storage.purge();
            long after = size(schema + ".messages");
            assertThat(after).as("messages table with its TOAST, bytes").isLessThan(before / 4);
            assertThat(storage.lastRuns(ALICE, 1).get(0).messages()).extracting(Message::content)
                    .containsExactly("keep me");
        }
    }

    // ---- helpers ----

    private static String shippedSql(String file, String schema) throws java.io.IOException {
        try (InputStream in = PostgresStorage.class.getResourceAsStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("agno_memory.", schema + ".");
        }
    }

    private static long size(String table) throws SQLException {
        return Long.parseLong(query("SELECT pg_total_relation_size('" + table + "')").get(0));
    }

    private static void execute(String sql) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static List<String> query(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = database.dataSource().getConnection(); PreparedStatement s = c.prepareStatement(sql);
                ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** Every table, column, function and row count of a schema: what "unchanged" is checked against. */
    private static String snapshot(String schema) throws SQLException {
        List<String> parts = new ArrayList<>(query("SELECT table_name || '.' || column_name || ':' || data_type FROM "
                + "information_schema.columns WHERE table_schema = '" + schema + "' ORDER BY 1"));
        parts.addAll(query("SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE "
                + "n.nspname = '" + schema + "' ORDER BY 1"));
        for (String table : query("SELECT tablename FROM pg_tables WHERE schemaname = '" + schema + "' ORDER BY 1")) {
            parts.add(table + "=" + query("SELECT count(*) FROM " + schema + "." + table).get(0));
        }
        return String.join("\n", parts);
    }

}
