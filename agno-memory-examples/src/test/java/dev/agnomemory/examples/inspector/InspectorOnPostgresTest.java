package dev.agnomemory.examples.inspector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.core.storage.postgres.PostgresStorage;
import dev.agnomemory.core.testing.PostgresServer;
import dev.agnomemory.examples.inspector.InspectorTest.Result;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inspector on a PostgreSQL store given by its JDBC URL (the embedded server): every reading command prints
 * what it prints for the same store in a MapDB file, the changing commands change it, and a URL without a store,
 * or of a server that is not there, is a one-line problem that creates nothing and never shows the password.
 */
class InspectorOnPostgresTest {

    private static final SessionKey ALICE_TRIP = SessionKey.of("alice", "trip-1");
    private static final SessionKey ALICE_NOTES = SessionKey.of("alice", "notes");
    private static final SessionKey BOB_TRIP = SessionKey.of("bob", "trip-1");
    /**
     * Times, version numbers and generated ids differ between the two stores (each reads its clock, and counts its
     * changes, its own way; the fixture's messages get random ids); the rest may not.
     */
    private static final Pattern TIME = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z");
    private static final Pattern VERSION = Pattern.compile("\"version\" : \\d+");
    private static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static PostgresServer.Database database;
    private static int schemas;

    @TempDir
    Path dir;
    private String schema;
    private String url;
    private Path file;

    @BeforeAll
    static void createDatabase() {
        database = PostgresServer.shared().createDatabase("inspector");
    }

    @AfterAll
    static void closeDatabase() {
        database.close();
    }

    @BeforeEach
    void createStores() {
        schema = "inspected_" + ++schemas;
        url = database.jdbcUrl() + "&currentSchema=" + schema;
        try (PostgresStorage storage = postgres()) {
            InspectorTest.fill(storage);
        }
        file = dir.resolve("agent.db");
        try (MapDbStorage storage = MapDbStorage.builder().file(file).clock(InspectorTest.steppingClock()).build()) {
            InspectorTest.fill(storage);
        }
    }

    private PostgresStorage postgres() {
        return PostgresStorage.builder().dataSource(database.dataSource()).schema(schema)
                .clock(InspectorTest.steppingClock()).build();
    }

    @Test
    void readingCommandsPrintWhatTheyPrintForAFile() {
        List<List<String>> commands = List.of(List.of("sessions"), List.of("sessions", "--user", "alice", "--json"),
                List.of("sessions", "--agent", "travel-agent", "--limit", "1"), List.of("show", "alice", "trip-1"),
                List.of("show", "alice", "trip-1", "--full", "--json"), List.of("show", "bob", "trip-1"),
                List.of("export", "alice", "trip-1"), List.of("export", "bob", "trip-1"),
                List.of("state", "alice", "trip-1"), List.of("memories", "alice"),
                List.of("memories", "alice", "--json"), List.of("memory-history", "alice", "m-tea"),
                List.of("show", "alice", "no-such-session"));
        for (List<String> command : commands) {
            Result onFile = inspect(file.toString(), command);
            Result onPostgres = inspect(url, command);
            assertThat(onPostgres.code()).as("%s", command).isEqualTo(onFile.code());
            assertThat(withoutTimes(onPostgres.out())).as("%s", command).isEqualTo(withoutTimes(onFile.out()));
            assertThat(onPostgres.err().replace(url, "STORE")).as("%s", command)
                    .isEqualTo(onFile.err().replace(file.toString(), "STORE"));
        }
        assertThat(inspect(url, List.of("show", "alice", "trip-1")).out()).contains("Paris in June",
                "It is sunny and 21°C in Paris.");
    }

    @Test
    void changingCommandsChangeThePostgresStore() {
        assertThat(inspect(url, List.of("rename", "alice", "notes", "Shopping")).code()).isZero();
        assertThat(inspect(url, List.of("delete", "bob", "trip-1", "--yes")).code()).isZero();
        Result deleted = inspect(url, List.of("delete-memories", "alice", "--yes"));
        assertThat(deleted.code()).isZero();
        try (PostgresStorage storage = postgres()) {
            assertThat(storage.session(ALICE_NOTES).orElseThrow().name()).hasValue("Shopping");
            assertThat(storage.session(BOB_TRIP)).isEmpty();
            assertThat(storage.session(ALICE_TRIP)).isPresent();
            assertThat(storage.memories("alice")).isEmpty();
            assertThat(storage.memories("bob")).hasSize(1);
        }
    }

    @Test
    void aUrlWithoutAStoreIsAProblemAndCreatesNothing() throws Exception {
        String empty = database.jdbcUrl() + "&password=s3cret&currentSchema=nothing_here";
        Result r = inspect(empty, List.of("sessions"));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("inspector: no agno-memory store at ").contains("password=***")
                .doesNotContain("s3cret").hasLineCount(1);
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM information_schema.schemata WHERE schema_name"
                        + " = 'nothing_here'")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
        // a changing command must not create the store either
        assertThat(inspect(empty, List.of("delete", "alice", "trip-1", "--yes")).code()).isEqualTo(2);
    }

    @Test
    void aServerThatIsNotThereIsAProblemInOneLine() {
        Result r = inspect("jdbc:postgresql://127.0.0.1:1/nowhere?user=u&password=s3cret", List.of("sessions"));
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("inspector: cannot open the store jdbc:postgresql://127.0.0.1:1/nowhere")
                .doesNotContain("s3cret").hasLineCount(1);
    }

    private static Result inspect(String store, List<String> command) {
        String[] args = new String[command.size() + 1];
        args[0] = store;
        for (int i = 0; i < command.size(); i++) {
            args[i + 1] = command.get(i);
        }
        return InspectorTest.run(args);
    }

    private static String withoutTimes(String text) {
        String timeless = TIME.matcher(text).replaceAll("TIME");
        return UUID.matcher(VERSION.matcher(timeless).replaceAll("\"version\" : N")).replaceAll("ID");
    }
}
