package dev.agnomemory.langchain4j;

/**
 * Whose memories an agent reads and writes (Agno issue #7716 asks for the second).
 */
public enum MemoryScope {

    /** The user's memories, shared by every agent of the user (Agno's default). */
    USER,

    /**
     * The user's memories made by this agent ({@code agentId}): other agents' memories of the user are neither
     * shown in the prompt nor changed, and new ones carry the agent.
     */
    AGENT
}
