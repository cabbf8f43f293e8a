package dev.agnomemory.langchain4j;

/**
 * Which of a user's memories go into the prompt: Agno's {@code MemoryRetrieval} modes, used by
 * {@link UserMemoryRetriever}.
 */
public enum MemoryRetrieval {

    /** The most recently created memories (by creation time), returned oldest first. */
    LAST_N,

    /** The oldest memories (by creation time), returned oldest first. */
    FIRST_N,

    /**
     * The memories most similar in meaning to the current user message (cosine similarity of embeddings), most
     * relevant first; without a message, {@link #LAST_N}.
     */
    SEMANTIC
}
