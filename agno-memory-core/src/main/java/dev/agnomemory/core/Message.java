package dev.agnomemory.core;

import dev.agnomemory.core.internal.Require;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One message of a conversation, stored losslessly.
 *
 * <p>Rules the constructor enforces:
 * <ul>
 *   <li>only {@link Role#ASSISTANT} messages carry {@link #toolCalls()};</li>
 *   <li>only {@link Role#TOOL} messages carry {@link #toolCallId()}, {@link #toolName()} or {@link #error()};</li>
 *   <li>{@link #content()} is never null (an assistant message that only calls tools has empty content).</li>
 * </ul>
 *
 * @param id a stable id of the message, not blank; a random UUID when built without one. A storage keeps the
 *     caller's id verbatim and does not check it for uniqueness (a stored message is identified by its session and
 *     {@link MessagePosition}); see {@link dev.agnomemory.core.storage.MemoryStorage}
 * @param role who wrote it, not null
 * @param content the text, not null, kept exactly (any Unicode, including NUL and unpaired surrogates)
 * @param toolCalls tool calls of an assistant message, in order; never null
 * @param toolCallId for a tool result, the {@link ToolCall#id()} it answers; may be null
 * @param toolName for a tool result, the tool's name; may be null
 * @param error for a tool result, whether the tool failed
 * @param createdAt when the message was created, not null
 * @param payload an adapter's own exact serialized form of the message (for example LangChain4j's JSON), kept
 *     verbatim so the adapter can restore what the text fields cannot express; may be null
 */
public record Message(String id, Role role, String content, List<ToolCall> toolCalls, String toolCallId,
        String toolName, boolean error, Instant createdAt, String payload) {

    /** Validates the components and copies {@code toolCalls}. */
    public Message {
        Require.notBlank(id, "id");
        Require.notNull(role, "role");
        Require.notNull(content, "content");
        toolCalls = Require.copyOf(toolCalls, "toolCalls");
        Require.notNull(createdAt, "createdAt");
        if (!toolCalls.isEmpty() && role != Role.ASSISTANT) {
            throw new IllegalArgumentException("toolCalls are only allowed on ASSISTANT messages, not on " + role);
        }
        if (role != Role.TOOL && (toolCallId != null || toolName != null || error)) {
            throw new IllegalArgumentException(
                    "toolCallId, toolName and error are only allowed on TOOL messages, not on " + role);
        }
    }

    /**
     * A system message.
     *
     * @param content the instructions
     * @return the message
     */
    public static Message system(String content) {
        return builder(Role.SYSTEM).content(content).build();
    }

    /**
     * A user message.
     *
     * @param content what the user said
     * @return the message
     */
    public static Message user(String content) {
        return builder(Role.USER).content(content).build();
    }

    /**
     * An assistant message without tool calls.
     *
     * @param content the answer
     * @return the message
     */
    public static Message assistant(String content) {
        return builder(Role.ASSISTANT).content(content).build();
    }

    /**
     * An assistant message that calls tools.
     *
     * @param content text that came with the calls; may be empty
     * @param toolCalls the calls
     * @return the message
     */
    public static Message assistant(String content, List<ToolCall> toolCalls) {
        return builder(Role.ASSISTANT).content(content).toolCalls(toolCalls).build();
    }

    /**
     * The result of a tool call.
     *
     * @param toolCallId the id of the call it answers; may be null
     * @param toolName the tool's name; may be null
     * @param content the result text
     * @param error whether the tool failed
     * @return the message
     */
    public static Message toolResult(String toolCallId, String toolName, String content, boolean error) {
        return builder(Role.TOOL).toolCallId(toolCallId).toolName(toolName).content(content).error(error).build();
    }

    /**
     * A builder for a message of the given role.
     *
     * @param role who writes the message
     * @return a builder; {@code id} defaults to a random UUID, {@code createdAt} to now, {@code content} to empty
     */
    public static Builder builder(Role role) {
        return new Builder(role);
    }

    /**
     * A builder holding this message's values, for making a changed copy.
     *
     * @return a builder
     */
    public Builder toBuilder() {
        return new Builder(role).id(id).content(content).toolCalls(toolCalls).toolCallId(toolCallId)
                .toolName(toolName).error(error).createdAt(createdAt).payload(payload);
    }

    /** Builds a {@link Message}; validation happens in {@link #build()}. */
    public static final class Builder {
        private final Role role;
        private String id;
        private String content = "";
        private List<ToolCall> toolCalls = List.of();
        private String toolCallId;
        private String toolName;
        private boolean error;
        private Instant createdAt;
        private String payload;

        private Builder(Role role) {
            this.role = role;
        }

        /**
         * @param id the message id
         * @return this builder
         */
        public Builder id(String id) {
            this.id = id;
            return this;
        }

        /**
         * @param content the text
         * @return this builder
         */
        public Builder content(String content) {
            this.content = content;
            return this;
        }

        /**
         * @param toolCalls tool calls of an assistant message
         * @return this builder
         */
        public Builder toolCalls(List<ToolCall> toolCalls) {
            this.toolCalls = toolCalls;
            return this;
        }

        /**
         * @param toolCallId the id of the call a tool result answers
         * @return this builder
         */
        public Builder toolCallId(String toolCallId) {
            this.toolCallId = toolCallId;
            return this;
        }

        /**
         * @param toolName the tool's name on a tool result
         * @return this builder
         */
        public Builder toolName(String toolName) {
            this.toolName = toolName;
            return this;
        }

        /**
         * @param error whether a tool result is an error
         * @return this builder
         */
        public Builder error(boolean error) {
            this.error = error;
            return this;
        }

        /**
         * @param createdAt the creation time
         * @return this builder
         */
        public Builder createdAt(Instant createdAt) {
            this.createdAt = createdAt;
            return this;
        }

        /**
         * @param payload the adapter's serialized form
         * @return this builder
         */
        public Builder payload(String payload) {
            this.payload = payload;
            return this;
        }

        /**
         * @return the message
         * @throws IllegalArgumentException when a value breaks a rule of {@link Message}
         */
        public Message build() {
            return new Message(id == null ? UUID.randomUUID().toString() : id, role, content, toolCalls,
                    toolCallId, toolName, error, createdAt == null ? Instant.now() : createdAt, payload);
        }
    }
}
