package dev.agnomemory.core;

import java.util.Optional;

/**
 * What made a user memory change, recorded in its {@link MemoryChange history}.
 *
 * @param source who made the change
 * @param sessionId the session of the run that caused it, when a run did
 * @param runId the run that caused it, when a run did
 */
public record MemoryChangeCause(Source source, Optional<String> sessionId, Optional<String> runId) {

    /** Who changes memories. */
    public enum Source {
        /** The memory model, after a run (Agno's {@code update_user_memories_after_run}). */
        MEMORY_MODEL,
        /** The model itself through the {@code update_user_memory} tool (Agno's agentic memory). */
        AGENTIC_TOOL,
        /** The application, through the storage or the memory manager. */
        APPLICATION
    }

    private static final MemoryChangeCause APPLICATION = new MemoryChangeCause(Source.APPLICATION, Optional.empty(),
            Optional.empty());

    /** Validates the components: present ids must not be blank. */
    public MemoryChangeCause {
        if (source == null || sessionId == null || runId == null) {
            throw new IllegalArgumentException("source, sessionId and runId must not be null (use Optional.empty())");
        }
        if (sessionId.filter(String::isBlank).isPresent() || runId.filter(String::isBlank).isPresent()) {
            throw new IllegalArgumentException("sessionId and runId must not be blank when present");
        }
    }

    /** @return a change the application made */
    public static MemoryChangeCause application() {
        return APPLICATION;
    }

    /**
     * @param sessionId the session of the run; may be null
     * @param runId the run; may be null
     * @return a change the memory model made after that run
     */
    public static MemoryChangeCause memoryModel(String sessionId, String runId) {
        return new MemoryChangeCause(Source.MEMORY_MODEL, Optional.ofNullable(sessionId), Optional.ofNullable(runId));
    }

    /**
     * @param sessionId the session of the call; may be null
     * @param runId the run of the call; may be null
     * @return a change the model made with the {@code update_user_memory} tool
     */
    public static MemoryChangeCause agenticTool(String sessionId, String runId) {
        return new MemoryChangeCause(Source.AGENTIC_TOOL, Optional.ofNullable(sessionId), Optional.ofNullable(runId));
    }
}
