package dev.agnomemory.langchain4j;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.ToolCall;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.data.message.CustomMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Converts between LangChain4j's {@link ChatMessage}s and the core {@link Message}. The core fields (role, text,
 * tool calls, tool result ids) make stored sessions readable without LangChain4j; LangChain4j's own JSON form is
 * kept as the payload, so every message type (names, images, thinking, attributes, custom messages) comes back
 * {@code equals} to what was stored.
 */
final class ChatMessages {

    private ChatMessages() {
    }

    static Message toCore(ChatMessage message) {
        String payload = ChatMessageSerializer.messageToJson(message);
        if (message instanceof SystemMessage m) {
            return Message.builder(Role.SYSTEM).content(m.text()).payload(payload).build();
        }
        if (message instanceof UserMessage m) {
            return Message.builder(Role.USER).content(text(m)).payload(payload).build();
        }
        if (message instanceof AiMessage m) {
            List<ToolCall> calls = m.hasToolExecutionRequests()
                    ? m.toolExecutionRequests().stream().map(ChatMessages::toolCall).toList()
                    : List.of();
            return Message.builder(Role.ASSISTANT).content(m.text() == null ? "" : m.text()).toolCalls(calls)
                    .payload(payload).build();
        }
        if (message instanceof ToolExecutionResultMessage m) {
            return Message.builder(Role.TOOL).toolCallId(m.id()).toolName(m.toolName())
                    .content(m.text() == null ? "" : m.text()).error(Boolean.TRUE.equals(m.isError()))
                    .payload(payload).build();
        }
        if (message instanceof CustomMessage) {
            // No role of its own in the OpenAI format; kept as a user-side record whose payload restores it.
            return Message.builder(Role.USER).content("").payload(payload).build();
        }
        throw new IllegalArgumentException("Unsupported message type " + message.type());
    }

    static ChatMessage toLangChain4j(Message message) {
        if (message.payload() != null) {
            return ChatMessageDeserializer.messageFromJson(message.payload());
        }
        // Messages stored by other code than this adapter: rebuild from the core fields.
        return switch (message.role()) {
            case SYSTEM -> SystemMessage.from(message.content());
            case USER -> UserMessage.from(message.content());
            case ASSISTANT -> message.toolCalls().isEmpty()
                    ? AiMessage.from(message.content())
                    : AiMessage.from(message.content().isEmpty() ? null : message.content(),
                            message.toolCalls().stream().map(c -> ToolExecutionRequest.builder().id(c.id())
                                    .name(c.name()).arguments(c.arguments()).build()).toList());
            case TOOL -> ToolExecutionResultMessage.builder().id(message.toolCallId()).toolName(message.toolName())
                    .text(message.content()).isError(message.error()).build();
        };
    }

    private static ToolCall toolCall(ToolExecutionRequest request) {
        return new ToolCall(request.id(), request.name() == null || request.name().isBlank() ? "unknown"
                : request.name(), request.arguments() == null ? "" : request.arguments());
    }

    static String text(UserMessage m) {
        return m.contents().stream().filter(TextContent.class::isInstance).map(c -> ((TextContent) c).text())
                .collect(Collectors.joining("\n"));
    }
}
