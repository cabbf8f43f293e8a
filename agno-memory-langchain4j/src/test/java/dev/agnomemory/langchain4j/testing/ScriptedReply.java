package dev.agnomemory.langchain4j.testing;

import java.util.List;
import java.util.Objects;

/**
 * One scripted answer of {@link ScriptedOpenAiServer}.
 *
 * <ul>
 *   <li>{@link Text}: a normal assistant message, {@code finish_reason: "stop"}.</li>
 *   <li>{@link ToolCalls}: an assistant message with {@code tool_calls} (content {@code null} unless given),
 *       {@code finish_reason: "tool_calls"}.</li>
 *   <li>{@link Raw}: any HTTP status and body, sent verbatim as {@code application/json} (for error cases).</li>
 * </ul>
 */
public sealed interface ScriptedReply {

    static ScriptedReply text(String text) {
        return new Text(text);
    }

    static ScriptedReply toolCalls(ToolCallSpec... calls) {
        return new ToolCalls(null, List.of(calls));
    }

    /** Tool calls plus assistant text in the same message (OpenAI allows both). */
    static ScriptedReply toolCallsWithText(String text, ToolCallSpec... calls) {
        return new ToolCalls(text, List.of(calls));
    }

    static ScriptedReply raw(int status, String body) {
        return new Raw(status, body);
    }

    record Text(String text) implements ScriptedReply {
        public Text {
            Objects.requireNonNull(text, "text");
        }
    }

    record ToolCalls(String text, List<ToolCallSpec> calls) implements ScriptedReply {
        public ToolCalls {
            calls = List.copyOf(calls);
            if (calls.isEmpty()) {
                throw new IllegalArgumentException("at least one tool call is required");
            }
        }
    }

    record Raw(int status, String body) implements ScriptedReply {
        public Raw {
            if (status < 100 || status > 599) {
                throw new IllegalArgumentException("bad HTTP status: " + status);
            }
            body = body == null ? "" : body;
        }
    }
}
