package dev.agnomemory.langchain4j.testing;

import java.util.List;

/**
 * A simplified view of one entry of the {@code messages} array of a recorded chat completion request.
 *
 * @param role       {@code system}, {@code user}, {@code assistant}, {@code tool} (or legacy {@code function})
 * @param content    the text content; when the request sent an array of content parts, the {@code text} parts
 *                   joined with {@code "\n"}; {@code null} when the message had no (text) content
 * @param toolCalls  the tool calls of an assistant message (including a legacy {@code function_call}, which gets
 *                   an empty id); empty, never {@code null}
 * @param toolCallId the {@code tool_call_id} of a {@code tool} message, else {@code null}
 * @param name       the optional {@code name} field, else {@code null}
 */
public record RecordedMessage(
        String role, String content, List<ToolCallSpec> toolCalls, String toolCallId, String name) {

    public RecordedMessage {
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public boolean hasToolCalls() {
        return !toolCalls.isEmpty();
    }
}
