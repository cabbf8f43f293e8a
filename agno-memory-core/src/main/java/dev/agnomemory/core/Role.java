package dev.agnomemory.core;

/** Who wrote a {@link Message}. The names match the roles of the OpenAI chat format that Agno stores. */
public enum Role {
    /** Instructions for the model. */
    SYSTEM,
    /** The person talking to the agent. */
    USER,
    /** The model; may carry {@link ToolCall}s. */
    ASSISTANT,
    /** The result of one tool call, answering an {@link ToolCall#id()}. */
    TOOL
}
