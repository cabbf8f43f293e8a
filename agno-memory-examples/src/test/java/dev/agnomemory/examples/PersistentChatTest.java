package dev.agnomemory.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.SessionFilter;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.core.storage.postgres.PostgresStorage;
import dev.agnomemory.core.testing.PostgresServer;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistentChatTest {

    private static final String COMPLETION = "{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello Alice\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private HttpServer server;
    /** Bodies of the chat completion requests, in arrival order. */
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startFakeOpenAi() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/chat/completions", this::answer);
        server.start();
    }

    @AfterEach
    void stopFakeOpenAi() {
        server.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("POST")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            requests.add(JSON.readTree(exchange.getRequestBody().readAllBytes()));
            byte[] body = COMPLETION.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private Map<String, String> fakeEnv() {
        return Map.of("OPENAI_API_KEY", "test-key",
                "OPENAI_BASE_URL", "http://127.0.0.1:" + server.getAddress().getPort() + "/v1",
                "OPENAI_MODEL", "fake-model");
    }

    @Test
    void withoutApiKeyItExplainsWhatToSetAndCreatesNothing() throws IOException {
        Path db = dir.resolve("chat.db");

        Result r = chat(Map.of("OPENAI_BASE_URL", "http://localhost:11434/v1"), "", "--db", db.toString(),
                "--user", "alice");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).contains("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "gpt-4o-mini",
                "OPENAI_BASE_URL=http://localhost:11434/v1 OPENAI_API_KEY=ollama OPENAI_MODEL=llama3.2");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
        assertThat(requests).isEmpty();
    }

    @Test
    void blankApiKeyCountsAsMissing() throws IOException {
        Result r = chat(Map.of("OPENAI_API_KEY", "  "), "", "--db", dir.resolve("chat.db").toString());

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).contains("OPENAI_API_KEY   the API key (required)");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void badArgumentsAreExplained() throws IOException {
        Result unknown = chat(fakeEnv(), "", "--colour", "red");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.out()).startsWith("Unknown argument: --colour").contains("usage: PersistentChat");

        Result missing = chat(fakeEnv(), "", "--db");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.out()).startsWith("--db needs a value");

        Result help = chat(Map.of(), "", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("usage: PersistentChat [--db FILE] [--user ID]");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
        assertThat(requests).isEmpty();
    }

    @Test
    void aPostgresDatabaseGivenByItsJdbcUrlKeepsTheConversation() throws IOException {
        try (PostgresServer.Database database = PostgresServer.shared().createDatabase("chat")) {
            String url = database.jdbcUrl() + "&password=&currentSchema=chat_store";
            Result first = chat(fakeEnv(), "My name is Alice\nexit\n", "--db", url, "--user", "alice");
            assertThat(first.code()).as(first.out()).isZero();
            assertThat(first.out()).contains("Memory: " + url.replace("password=", "password=***")
                    + " (schema chat_store)", "assistant> Hello Alice");
            SessionKey key;
            try (PostgresStorage storage = PostgresStorage.builder().dataSource(database.dataSource())
                    .schema("chat_store").createSchema(false).build()) {
                Session session = storage.sessions(SessionFilter.byUser("alice")).get(0);
                key = session.key();
                assertThat(storage.lastCompletedRuns(key, 10)).singleElement().satisfies(run -> assertThat(
                        run.messages()).extracting(Message::content).containsExactly("My name is Alice",
                                "Hello Alice"));
            }

            Result second = chat(fakeEnv(), key.sessionId() + "\nWhat is my name?\nquit\n", "--db", url,
                    "--user", "alice");
            assertThat(second.code()).as(second.out()).isZero();
            assertThat(second.out()).contains("Continuing session " + key.sessionId() + " (1 run).");
            assertThat(contents(requests.get(1))).containsSubsequence("My name is Alice", "Hello Alice",
                    "What is my name?");
        }
    }

    @Test
    void conversationIsStoredAndContinuedWithItsHistory() throws IOException {
        Path db = dir.resolve("chat.db");

        // first start: no sessions yet, so a new one starts right away
        Result first = chat(fakeEnv(), "My name is Alice\nexit\n", "--db", db.toString(), "--user", "alice");

        assertThat(first.code()).isZero();
        assertThat(first.out()).contains("No stored sessions of user alice; starting new session chat-",
                "assistant> Hello Alice");
        assertThat(requests).hasSize(1);
        JsonNode firstRequest = requests.get(0);
        assertThat(firstRequest.get("model").asText()).isEqualTo("fake-model");
        assertThat(roles(firstRequest)).containsExactly("system", "user");
        assertThat(firstRequest.get("messages").get(0).get("content").asText()).contains("get_chat_history");
        assertThat(firstRequest.get("messages").get(1).get("content").asText()).isEqualTo("My name is Alice");
        assertThat(firstRequest.get("tools")).extracting(t -> t.get("function").get("name").asText())
                .contains("get_chat_history");

        Session session;
        try (MapDbStorage storage = MapDbStorage.builder().file(db).createIfMissing(false).build()) {
            List<Session> sessions = storage.sessions(SessionFilter.byUser("alice"));
            assertThat(sessions).hasSize(1);
            session = sessions.get(0);
            assertThat(session.agentId()).contains(PersistentChat.AGENT_ID);
            assertThat(session.runCount()).isEqualTo(1);
            List<Run> runs = storage.lastRuns(session.key(), 10);
            assertThat(runs).singleElement().satisfies(run -> {
                assertThat(run.completed()).isTrue();
                assertThat(run.messages()).extracting(Message::role).containsExactly(Role.USER, Role.ASSISTANT);
                assertThat(run.messages()).extracting(Message::content)
                        .containsExactly("My name is Alice", "Hello Alice");
            });
        }
        String sessionId = session.sessionId();
        assertThat(first.out()).contains("Session " + sessionId + " is saved in " + db);

        // second start: the session is listed, chosen by id, and its history goes to the model
        Result second = chat(fakeEnv(), sessionId + "\nWhat is my name?\nquit\n", "--db", db.toString(),
                "--user", "alice");

        assertThat(second.code()).isZero();
        assertThat(second.out()).contains("Stored sessions of user alice", sessionId,
                "Continuing session " + sessionId + " (1 run).", "assistant> Hello Alice");
        assertThat(requests).hasSize(2);
        JsonNode secondRequest = requests.get(1);
        assertThat(roles(secondRequest)).containsExactly("system", "user", "assistant", "user");
        assertThat(contents(secondRequest)).containsSubsequence("My name is Alice", "Hello Alice",
                "What is my name?");
        try (MapDbStorage storage = MapDbStorage.builder().file(db).createIfMissing(false).build()) {
            assertThat(storage.session(session.key()).orElseThrow().runCount()).isEqualTo(2);
            assertThat(storage.lastCompletedRuns(session.key(), 10)).hasSize(2);
            assertThat(storage.sessions(SessionFilter.any())).hasSize(1);
        }
    }

    @Test
    void anotherUserDoesNotSeeTheSessionsAndNewSessionsAreSeparate() throws IOException {
        Path db = dir.resolve("chat.db");
        chat(fakeEnv(), "My name is Alice\nexit\n", "--db", db.toString(), "--user", "alice");

        Result bob = chat(fakeEnv(), "Hi\n", "--db", db.toString(), "--user", "bob");

        assertThat(bob.code()).isZero();
        assertThat(bob.out()).contains("No stored sessions of user bob");
        assertThat(roles(requests.get(1))).containsExactly("system", "user");

        // alice starts a new session (Enter), whose prompt has no history of the first one
        Result alice = chat(fakeEnv(), "\nHello again\nexit\n", "--db", db.toString(), "--user", "alice");
        assertThat(alice.out()).contains("Starting new session chat-");
        assertThat(roles(requests.get(2))).containsExactly("system", "user");
        try (MapDbStorage storage = MapDbStorage.builder().file(db).createIfMissing(false).build()) {
            assertThat(storage.sessions(SessionFilter.byUser("alice"))).hasSize(2);
            assertThat(storage.sessions(SessionFilter.byUser("bob"))).hasSize(1);
        }
    }

    @Test
    void unknownChoiceIsAskedAgainAndEndOfInputLeaves() throws IOException {
        Path db = dir.resolve("chat.db");
        chat(fakeEnv(), "My name is Alice\nexit\n", "--db", db.toString(), "--user", "alice");

        Result r = chat(fakeEnv(), "no-such-session\n", "--db", db.toString(), "--user", "alice");

        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("There is no session 'no-such-session' in the list.");
        assertThat(requests).hasSize(1);
    }

    @Test
    void storeOpenElsewhereIsExplained() {
        Path db = dir.resolve("chat.db");
        try (MapDbStorage app = MapDbStorage.open(db)) {
            Result r = chat(fakeEnv(), "Hi\n", "--db", db.toString());

            assertThat(r.code()).isEqualTo(2);
            assertThat(r.out()).contains("The store " + db + " is open in another process");
            assertThat(app.sessions(SessionFilter.any())).isEmpty();
        }
        assertThat(requests).isEmpty();
    }

    // ---- helpers ----

    private record Result(int code, String out) {
    }

    private static Result chat(Map<String, String> env, String input, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            code = new PersistentChat(new BufferedReader(new StringReader(input)), o, env, args).run();
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8));
    }

    private static List<String> roles(JsonNode request) {
        return request.get("messages").findValuesAsText("role");
    }

    private static List<String> contents(JsonNode request) {
        return request.get("messages").findValuesAsText("content");
    }
}
