package dev.agnomemory.langchain4j;

import dev.agnomemory.core.UserMemory;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a provider's memories share beyond the history: user memories in the prompt (and how they are picked),
 * the session summary in the prompt, and the work after each run.
 *
 * @param userMemoriesInPrompt Agno's {@code create_user_memories}: the memories block goes into the system message
 * @param retriever picks the memories; null when user memories are off
 * @param summaryInPrompt Agno's {@code create_session_summary}: the summary block goes into the system message
 * @param afterRun the memory work after each run
 * @param memoryVersion increases whenever user memories change, so memories can cache what they retrieved
 */
record MemoryFeatures(boolean userMemoriesInPrompt, UserMemoryRetriever retriever, boolean summaryInPrompt,
        AfterRunWork afterRun, AtomicLong memoryVersion) {

    static MemoryFeatures none() {
        return new MemoryFeatures(false, null, false, new AfterRunWork(null, null, 0, java.time.Duration.ZERO),
                new AtomicLong());
    }

    List<UserMemory> memories(String userId, String query) {
        return retriever == null ? List.of() : retriever.retrieve(userId, query);
    }
}
