package dev.agnomemory.langchain4j.testing;

import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link ScriptedOpenAiServer} for each test, with the real LangChain4j OpenAI models pointed at it:
 * {@code @RegisterExtension final ScriptedOpenAi openAi = new ScriptedOpenAi();}. After the test the server is
 * closed, which fails the test when it recorded a problem (an exhausted script, an unknown path, ...).
 */
public final class ScriptedOpenAi implements BeforeEachCallback, AfterEachCallback {

    /** The model name the models send; the scripted server echoes it back as the response's model. */
    public static final String MODEL = "gpt-4o-mini";

    private ScriptedOpenAiServer server;

    @Override
    public void beforeEach(ExtensionContext context) {
        server = ScriptedOpenAiServer.start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        server.close();
    }

    public ScriptedOpenAiServer server() {
        return server;
    }

    /** @return the real {@code OpenAiChatModel} against the server, without retries */
    public OpenAiChatModel chatModel() {
        return chatModel(b -> { });
    }

    /** @return the real {@code OpenAiChatModel} against the server, with more settings */
    public OpenAiChatModel chatModel(Consumer<OpenAiChatModel.OpenAiChatModelBuilder> settings) {
        OpenAiChatModel.OpenAiChatModelBuilder b = OpenAiChatModel.builder().baseUrl(server.baseUrl())
                .apiKey("test-key").modelName(MODEL).maxRetries(0).timeout(Duration.ofSeconds(30));
        settings.accept(b);
        return b.build();
    }

    /** @return the real {@code OpenAiStreamingChatModel} against the server */
    public OpenAiStreamingChatModel streamingChatModel() {
        return OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl()).apiKey("test-key").modelName(MODEL)
                .timeout(Duration.ofSeconds(30)).build();
    }
}
