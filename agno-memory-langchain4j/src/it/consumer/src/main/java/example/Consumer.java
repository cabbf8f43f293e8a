package example;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.AgnoChatMemoryProvider;
import dev.agnomemory.langchain4j.MemoryRetrieval;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.UserMessage;
import java.nio.file.Path;

/** Compiles against the adapter as a user's code would (the README's snippet). */
public final class Consumer {

    interface Assistant {
        String chat(@MemoryId SessionKey session, @UserMessage String message);
    }

    private Consumer() {
    }

    static Assistant assistant(Path file, String apiKey) {
        OpenAiChatModel model = OpenAiChatModel.builder().apiKey(apiKey).modelName("gpt-4o-mini").build();
        AgnoChatMemoryProvider memory = AgnoChatMemoryProvider.builder()
                .storage(MapDbStorage.open(file))
                .memoryModel(model)
                .createUserMemories(true)
                .memoryRetrieval(MemoryRetrieval.SEMANTIC)
                .embeddingModel(new AllMiniLmL6V2EmbeddingModel())
                .build();
        return memory.attachTo(AiServices.builder(Assistant.class)).chatModel(model).build();
    }
}
