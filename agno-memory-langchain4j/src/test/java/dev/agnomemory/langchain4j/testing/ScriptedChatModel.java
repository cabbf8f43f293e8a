package dev.agnomemory.langchain4j.testing;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * An in-process {@link ChatModel} that answers from a script and records every request, for memory work tests.
 * It can claim JSON-schema structured output support, to test both paths of the callers.
 */
public final class ScriptedChatModel implements ChatModel {

    private final Deque<Function<ChatRequest, String>> replies = new ArrayDeque<>();
    private final List<ChatRequest> requests = new ArrayList<>();
    private final boolean jsonSchema;

    public ScriptedChatModel(boolean supportsJsonSchema) {
        this.jsonSchema = supportsJsonSchema;
    }

    public synchronized ScriptedChatModel reply(String text) {
        replies.add(request -> text);
        return this;
    }

    public synchronized ScriptedChatModel reply(Function<ChatRequest, String> dynamic) {
        replies.add(dynamic);
        return this;
    }

    public synchronized ScriptedChatModel fail(RuntimeException error) {
        replies.add(request -> {
            throw error;
        });
        return this;
    }

    public synchronized List<ChatRequest> requests() {
        return List.copyOf(requests);
    }

    public synchronized int remaining() {
        return replies.size();
    }

    @Override
    public synchronized ChatResponse doChat(ChatRequest request) {
        requests.add(request);
        Function<ChatRequest, String> next = replies.poll();
        if (next == null) {
            throw new AssertionError("ScriptedChatModel: no reply scripted for request " + requests.size());
        }
        return ChatResponse.builder().aiMessage(AiMessage.from(next.apply(request))).build();
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return jsonSchema ? Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA) : Set.of();
    }
}
