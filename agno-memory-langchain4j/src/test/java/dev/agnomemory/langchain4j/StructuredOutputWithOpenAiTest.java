package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Memory work through the real OpenAiChatModel: JSON-schema structured output when enabled, prompt otherwise. */
class StructuredOutputWithOpenAiTest {

    @TempDir
    Path dir;

    private static OpenAiChatModel.OpenAiChatModelBuilder model(ScriptedOpenAiServer server) {
        return OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("k").modelName("m").maxRetries(0)
                .timeout(Duration.ofSeconds(20));
    }

    @Test
    void sendsTheJsonSchemaAsResponseFormatWhenTheModelSupportsIt() {
        try (ScriptedOpenAiServer server = ScriptedOpenAiServer.start();
                MapDbStorage storage = MapDbStorage.open(dir.resolve("m.db"))) {
            server.replyText("{\"worth_remembering\": true, \"operations\": [{\"action\": \"add\", \"memory_id\": \"\", "
                    + "\"memory\": \"The user is a nurse.\", \"topics\": [\"work\"]}]}");
            MemoryManager manager = MemoryManager.builder().storage(storage)
                    .chatModel(model(server).responseFormat("json_schema").strictJsonSchema(true).build()).build();
            manager.updateFromMessage("alice", "I am a nurse");

            JsonNode format = server.lastRequest().json().path("response_format");
            assertThat(format.path("type").asText()).isEqualTo("json_schema");
            assertThat(format.path("json_schema").path("name").asText()).isEqualTo("memory_operations");
            assertThat(format.path("json_schema").path("schema").path("properties").has("operations")).isTrue();
            assertThat(server.lastRequest().messages().get(0).content()).doesNotContain("Answer with only a JSON");
            assertThat(storage.memories("alice")).extracting(UserMemory::memory).containsExactly("The user is a nurse.");
        }
    }

    @Test
    void describesTheShapeInThePromptAndRepairsOnceOtherwise() {
        try (ScriptedOpenAiServer server = ScriptedOpenAiServer.start();
                MapDbStorage storage = MapDbStorage.open(dir.resolve("m.db"))) {
            storage.getOrCreateSession(dev.agnomemory.core.SessionKey.of("alice", "s"), null);
            storage.appendMessage(dev.agnomemory.core.SessionKey.of("alice", "s"), "r",
                    dev.agnomemory.core.Message.user("Plan my trip"));
            storage.appendMessage(dev.agnomemory.core.SessionKey.of("alice", "s"), "r",
                    dev.agnomemory.core.Message.assistant("Lisbon it is"));
            storage.completeRun(dev.agnomemory.core.SessionKey.of("alice", "s"), "r");
            server.replyText("Here is the summary: Alice plans a trip");
            server.replyText("{\"summary\": \"Alice plans a trip to Lisbon.\", \"topics\": [\"travel\"]}");
            SessionSummarizer summarizer = SessionSummarizer.builder().storage(storage).chatModel(model(server).build())
                    .build();
            assertThat(summarizer.update(dev.agnomemory.core.SessionKey.of("alice", "s")).orElseThrow().summary())
                    .isEqualTo("Alice plans a trip to Lisbon.");
            assertThat(server.request(0).json().has("response_format")).isFalse();
            assertThat(server.request(0).messages().get(0).content()).contains("Answer with only a JSON object");
            assertThat(server.request(1).lastMessage().orElseThrow().content()).contains("could not be used");
        }
    }
}
