package dev.agnomemory.langchain4j;

import static dev.langchain4j.model.chat.Capability.RESPONSE_FORMAT_JSON_SCHEMA;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAi;
import dev.agnomemory.langchain4j.testing.ScriptedOpenAiServer;
import dev.agnomemory.langchain4j.testing.TempStorage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Memory work through the real OpenAiChatModel: JSON-schema structured output when enabled, prompt otherwise. */
class StructuredOutputWithOpenAiTest {

    @RegisterExtension
    final TempStorage temp = new TempStorage();
    @RegisterExtension
    final ScriptedOpenAi openAi = new ScriptedOpenAi();

    @Test
    void sendsTheJsonSchemaAsResponseFormatWhenTheModelSupportsIt() {
        ScriptedOpenAiServer server = openAi.server();
        MemoryStorage storage = temp.storage();
        server.replyText("{\"worth_remembering\": true, \"operations\": [{\"action\": \"add\", \"memory_id\": \"\", "
                + "\"memory\": \"The user is a nurse.\", \"topics\": [\"work\"]}]}");
        MemoryManager manager = MemoryManager.builder().storage(storage)
                .chatModel(openAi.chatModel(m -> m.supportedCapabilities(RESPONSE_FORMAT_JSON_SCHEMA)
                        .strictJsonSchema(true))).build(); // as the README shows
        manager.updateFromMessage("alice", "I am a nurse");

        JsonNode format = server.lastRequest().json().path("response_format");
        assertThat(format.path("type").asText()).isEqualTo("json_schema");
        assertThat(format.path("json_schema").path("name").asText()).isEqualTo("memory_operations");
        assertThat(format.path("json_schema").path("schema").path("properties").has("operations")).isTrue();
        assertThat(server.lastRequest().messages().get(0).content()).doesNotContain("Answer with only a JSON");
        assertThat(storage.memories("alice")).extracting(UserMemory::memory).containsExactly("The user is a nurse.");
    }

    @Test
    void describesTheShapeInThePromptAndRepairsOnceOtherwise() {
        ScriptedOpenAiServer server = openAi.server();
        MemoryStorage storage = temp.storage();
        storage.getOrCreateSession(dev.agnomemory.core.SessionKey.of("alice", "s"), null);
        storage.appendMessage(dev.agnomemory.core.SessionKey.of("alice", "s"), "r",
                dev.agnomemory.core.Message.user("Plan my trip"));
        storage.appendMessage(dev.agnomemory.core.SessionKey.of("alice", "s"), "r",
                dev.agnomemory.core.Message.assistant("Lisbon it is"));
        storage.completeRun(dev.agnomemory.core.SessionKey.of("alice", "s"), "r");
        server.replyText("Here is the summary: Alice plans a trip");
        server.replyText("{\"summary\": \"Alice plans a trip to Lisbon.\", \"topics\": [\"travel\"]}");
        SessionSummarizer summarizer = SessionSummarizer.builder().storage(storage).chatModel(openAi.chatModel())
                .build();
        assertThat(summarizer.update(dev.agnomemory.core.SessionKey.of("alice", "s")).orElseThrow().summary())
                .isEqualTo("Alice plans a trip to Lisbon.");
        assertThat(server.request(0).json().has("response_format")).isFalse();
        assertThat(server.request(0).messages().get(0).content()).contains("Answer with only a JSON object");
        assertThat(server.request(1).lastMessage().orElseThrow().content()).contains("could not be used");
    }
}
