package dev.agnomemory.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.agnomemory.core.storage.SessionFilter;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memories example, end to end against a local fake OpenAI-compatible server. */
class MemoriesAcrossSessionsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void withoutAKeyItSaysWhatToSetAndCreatesNothing() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path db = dir.resolve("m.db");
        int code = new MemoriesAcrossSessions(new PrintStream(out, true, StandardCharsets.UTF_8), Map.of(), db).run();
        assertThat(code).isEqualTo(2);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("MemoriesAcrossSessions needs")
                .contains("OPENAI_API_KEY").contains("OPENAI_BASE_URL=http://localhost:11434/v1");
        assertThat(Files.exists(db)).isFalse();
    }

    @Test
    void sessionTwoStartsWithWhatSessionOneTaughtIt() throws Exception {
        List<String> agentSystemMessages = new ArrayList<>();
        List<String> agentTools = new ArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", exchange -> {
            JsonNode request = JSON.readTree(exchange.getRequestBody());
            String system = request.path("messages").path(0).path("content").asText();
            String reply;
            if (system.contains("long-term memories")) {
                String said = request.path("messages").path(1).path("content").asText();
                reply = said.contains("nurse")
                        ? "{\"worth_remembering\": true, \"operations\": [{\"action\": \"add\", \"memory\": "
                                + "\"Maya is a nurse in Leeds.\", \"topics\": [\"work\"]}]}"
                        : "{\"worth_remembering\": false, \"operations\": []}";
            } else if (system.contains("running summary")) {
                reply = "{\"summary\": \"Maya introduced herself.\", \"topics\": [\"introductions\"]}";
            } else {
                synchronized (agentSystemMessages) {
                    agentSystemMessages.add(system);
                    request.path("tools").forEach(t -> agentTools.add(t.path("function").path("name").asText()));
                }
                reply = "Sure.";
            }
            ObjectNode body = JSON.createObjectNode().put("id", "x").put("object", "chat.completion")
                    .put("created", 1).put("model", "m");
            ObjectNode choice = body.putArray("choices").addObject();
            choice.put("index", 0).put("finish_reason", "stop");
            choice.putObject("message").put("role", "assistant").put("content", reply);
            body.putObject("usage").put("prompt_tokens", 1).put("completion_tokens", 1).put("total_tokens", 2);
            byte[] bytes = JSON.writeValueAsBytes(body);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Path db = dir.resolve("m.db");
            Map<String, String> env = Map.of("OPENAI_API_KEY", "k", "OPENAI_BASE_URL",
                    "http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
            int code = new MemoriesAcrossSessions(new PrintStream(out, true, StandardCharsets.UTF_8), env, db).run();
            String printed = out.toString(StandardCharsets.UTF_8);
            assertThat(code).as(printed).isZero();
            assertThat(printed).contains("- Maya is a nurse in Leeds. [work]").contains("Maya introduced herself.");
            // session 2's first request already carries the memory from session 1
            assertThat(agentSystemMessages.get(3)).contains("<memories_from_previous_interactions>")
                    .contains("- Maya is a nurse in Leeds.");
            assertThat(agentSystemMessages.get(0)).contains("have not had any interactions with the user yet")
                    .contains("get_chat_history");
            assertThat(agentTools).as("the tool its system prompt mentions is offered").contains("get_chat_history");
            try (MapDbStorage storage = MapDbStorage.open(db)) {
                assertThat(storage.sessions(SessionFilter.any())).hasSize(2);
            }
        } finally {
            server.stop(0);
        }
    }
}
