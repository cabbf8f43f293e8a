package dev.agnomemory.langchain4j.testing;

import java.util.Objects;

/**
 * One OpenAI-style function tool call: {@code {id, type: "function", function: {name, arguments}}}.
 *
 * <p>Used both to script tool calls returned by {@link ScriptedOpenAiServer} and to describe the tool calls an
 * assistant message carried in a recorded request ({@link RecordedMessage#toolCalls()}).
 *
 * @param id        the tool call id (the client echoes it back as {@code tool_call_id} of the tool result)
 * @param name      the function name
 * @param arguments the raw arguments string, sent verbatim; it does not have to be valid JSON, so tests can
 *                  script malformed arguments such as {@code {"n": "abc"}} or {@code not json}
 */
public record ToolCallSpec(String id, String name, String arguments) {

    public ToolCallSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
    }

    public static ToolCallSpec of(String id, String name, String arguments) {
        return new ToolCallSpec(id, name, arguments);
    }
}
