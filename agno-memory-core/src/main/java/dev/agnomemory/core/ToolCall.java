package dev.agnomemory.core;

import dev.agnomemory.core.internal.Require;

/**
 * A tool call requested by the model in an assistant {@link Message}.
 *
 * @param id the provider's id of the call, answered by the tool result's {@link Message#toolCallId()}; may be
 *     null because some providers do not assign one
 * @param name the tool's name, not blank
 * @param arguments the arguments as the model wrote them (normally a JSON object), kept verbatim; not null
 */
public record ToolCall(String id, String name, String arguments) {

    /** Validates the components. */
    public ToolCall {
        Require.notBlank(name, "name");
        Require.notNull(arguments, "arguments");
    }
}
