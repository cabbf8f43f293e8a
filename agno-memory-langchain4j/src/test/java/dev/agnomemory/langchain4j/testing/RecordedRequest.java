package dev.agnomemory.langchain4j.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP request received by {@link ScriptedOpenAiServer}, with the raw body and a parsed view of the OpenAI chat
 * completion request.
 *
 * <p>Immutable; safe to share between threads.
 */
public final class RecordedRequest {

    private final int index;
    private final String method;
    private final String path;
    private final Map<String, List<String>> headers;
    private final String body;
    private final JsonNode json;
    private final String model;
    private final List<RecordedMessage> messages;
    private final List<String> tools;
    private final boolean stream;

    RecordedRequest(
            int index,
            String method,
            String path,
            Map<String, List<String>> headers,
            String body,
            JsonNode json,
            String model,
            List<RecordedMessage> messages,
            List<String> tools,
            boolean stream) {
        this.index = index;
        this.method = method;
        this.path = path;
        this.headers = headers;
        this.body = body;
        this.json = json;
        this.model = model;
        this.messages = List.copyOf(messages);
        this.tools = List.copyOf(tools);
        this.stream = stream;
    }

    /** Zero-based position of this request among all requests the server received. */
    public int index() {
        return index;
    }

    public String method() {
        return method;
    }

    /** The request path as received, e.g. {@code /v1/chat/completions}. */
    public String path() {
        return path;
    }

    /** All request headers; names are lower-case. */
    public Map<String, List<String>> headers() {
        return headers;
    }

    /** The first value of the named header (case-insensitive), or {@code null}. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The raw request body. */
    public String body() {
        return body;
    }

    /** The parsed request body, or {@code null} if the body was not valid JSON. */
    public JsonNode json() {
        return json;
    }

    /** The {@code model} field, or {@code null}. */
    public String model() {
        return model;
    }

    /** The {@code messages} array, in order. */
    public List<RecordedMessage> messages() {
        return messages;
    }

    /** The messages with the given role, in order. */
    public List<RecordedMessage> messages(String role) {
        return messages.stream().filter(m -> role.equals(m.role())).toList();
    }

    /** The last message, if any. */
    public Optional<RecordedMessage> lastMessage() {
        return messages.isEmpty() ? Optional.empty() : Optional.of(messages.get(messages.size() - 1));
    }

    /** Names of the functions offered in {@code tools} (and legacy {@code functions}), in order. */
    public List<String> tools() {
        return tools;
    }

    /** Whether the request asked for a streamed response ({@code "stream": true}). */
    public boolean stream() {
        return stream;
    }

    @Override
    public String toString() {
        return "RecordedRequest{#" + index + " " + method + " " + path + ", model=" + model + ", messages=" + messages
                + ", tools=" + tools + "}";
    }
}
