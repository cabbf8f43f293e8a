package dev.agnomemory.examples;

import dev.agnomemory.core.SessionKey;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.UserMessage;

/** The AI service of {@link PersistentChat}: one call is one run of the session given as memory id. */
public interface ChatAssistant {

    /**
     * @param session the user and session whose memory the call uses and extends
     * @param message what the user said
     * @return the model's answer
     */
    @SystemMessage("You are a helpful assistant. Use get_chat_history when the user refers to earlier conversation.")
    String chat(@MemoryId SessionKey session, @UserMessage String message);
}
