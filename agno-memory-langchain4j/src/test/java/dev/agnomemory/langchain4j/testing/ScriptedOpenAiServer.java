package dev.agnomemory.langchain4j.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A local, scripted stand-in for the OpenAI Chat Completions API, for tests that drive the real
 * {@code dev.langchain4j.model.openai.OpenAiChatModel} without network access or a model.
 *
 * <p>Serves {@code POST /v1/chat/completions} (and {@code POST /chat/completions}) on {@code 127.0.0.1} with a
 * random free port, using only the JDK's {@link HttpServer}. Each request consumes the next scripted reply, in
 * order. Every request (also unexpected ones) is recorded and can be inspected with {@link #requests()}.
 *
 * <p>A request with {@code "stream": true} (from {@code OpenAiStreamingChatModel}) gets the same scripted reply as
 * server-sent events: the text in small pieces, each tool call in one chunk, a last chunk with the finish reason,
 * the {@code usage} chunk when {@code stream_options.include_usage} asks for it, then {@code [DONE]}.
 *
 * <p>Problems that are not part of the script — the script is exhausted, an unknown path or method, a body that
 * is not JSON, a dynamic reply that threw — are answered with an OpenAI-style error JSON
 * (HTTP 500/404/405/400) <em>and</em> recorded in {@link #errors()}. {@link #close()} fails with an
 * {@link AssertionError} listing them, so a test cannot pass by accident; a test that provokes such a problem on
 * purpose takes the errors with {@link #takeErrors()} before closing.
 *
 * <p>Typical use:
 * <pre>{@code
 * try (ScriptedOpenAiServer server = ScriptedOpenAiServer.start()) {
 *     server.replyToolCalls(ToolCallSpec.of("call_1", "twice", "{\"n\": 21}"))
 *           .replyText("The answer is 42.");
 *     OpenAiChatModel model = OpenAiChatModel.builder()
 *             .baseUrl(server.baseUrl()).apiKey("test-key").modelName("gpt-4o-mini")
 *             .maxRetries(0)                      // default is 2 retries with back-off
 *             .timeout(Duration.ofSeconds(10))
 *             .build();
 *     ...
 *     assertThat(server.request(1).messages("tool")).hasSize(1);
 * }
 * }</pre>
 *
 * <p>Thread-safe: requests may arrive concurrently; replies are handed out in arrival order.
 */
public final class ScriptedOpenAiServer implements AutoCloseable {

    /** Paths answered as chat completions; OpenAiChatModel calls {@code baseUrl + "/chat/completions"}. */
    private static final Set<String> CHAT_COMPLETIONS_PATHS = Set.of(
            "/v1/chat/completions", "/v1/chat/completions/", "/chat/completions", "/chat/completions/");

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;
    private final String baseUrl;

    private final Object lock = new Object();
    private final Deque<Function<RecordedRequest, ScriptedReply>> script = new ArrayDeque<>();
    private final List<RecordedRequest> requests = new ArrayList<>();
    private final List<String> errors = new ArrayList<>();
    private final List<Usage> usages = new ArrayList<>();
    private final AtomicInteger completionIds = new AtomicInteger();
    private int consumedReplies;
    private boolean closed;

    private ScriptedOpenAiServer() throws IOException {
        AtomicInteger threadIds = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "scripted-openai-" + threadIds.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        this.server.createContext("/", this::handle);
        this.server.setExecutor(executor);
        this.server.start();
        this.baseUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    /** Starts a server on {@code 127.0.0.1} with a free port. */
    public static ScriptedOpenAiServer start() {
        try {
            return new ScriptedOpenAiServer();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start ScriptedOpenAiServer", e);
        }
    }

    /** {@code http://127.0.0.1:PORT/v1}, the value for {@code OpenAiChatModel.builder().baseUrl(...)}. */
    public String baseUrl() {
        return baseUrl;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    // ------------------------------------------------------------------------------------------------- script

    /** Appends an assistant text reply ({@code finish_reason: "stop"}). */
    public ScriptedOpenAiServer replyText(String text) {
        return enqueue(ScriptedReply.text(text));
    }

    /** Appends an assistant reply carrying these tool calls ({@code content: null, finish_reason: "tool_calls"}). */
    public ScriptedOpenAiServer replyToolCalls(ToolCallSpec... calls) {
        return enqueue(ScriptedReply.toolCalls(calls));
    }

    /** Appends a raw HTTP reply: this status and body (sent as {@code application/json}), e.g. for error cases. */
    public ScriptedOpenAiServer replyRaw(int status, String body) {
        return enqueue(ScriptedReply.raw(status, body));
    }

    /** Appends a text reply computed from the request it answers. */
    public ScriptedOpenAiServer reply(Function<RecordedRequest, String> dynamicText) {
        return replyWith(request -> ScriptedReply.text(dynamicText.apply(request)));
    }

    /** Appends any reply computed from the request it answers. */
    public ScriptedOpenAiServer replyWith(Function<RecordedRequest, ScriptedReply> dynamic) {
        if (dynamic == null) {
            throw new NullPointerException("dynamic");
        }
        synchronized (lock) {
            script.addLast(dynamic);
        }
        return this;
    }

    /** Appends a fixed reply. */
    public ScriptedOpenAiServer enqueue(ScriptedReply reply) {
        if (reply == null) {
            throw new NullPointerException("reply");
        }
        return replyWith(request -> reply);
    }

    /** Number of scripted replies not consumed yet. */
    public int remainingReplies() {
        synchronized (lock) {
            return script.size();
        }
    }

    /** Fails if scripted replies remain unconsumed. */
    public void assertAllRepliesConsumed() {
        int remaining = remainingReplies();
        if (remaining != 0) {
            throw new AssertionError(remaining + " scripted repl" + (remaining == 1 ? "y was" : "ies were")
                    + " never requested; requests received: " + requests());
        }
    }

    // ---------------------------------------------------------------------------------------------- recording

    /** A snapshot of all requests received so far, in arrival order. */
    public List<RecordedRequest> requests() {
        synchronized (lock) {
            return List.copyOf(requests);
        }
    }

    /** The request with this zero-based index; fails clearly if there is none. */
    public RecordedRequest request(int index) {
        synchronized (lock) {
            if (index < 0 || index >= requests.size()) {
                throw new AssertionError("no request #" + index + "; " + requests.size() + " received: " + requests);
            }
            return requests.get(index);
        }
    }

    /** The most recent request; fails clearly if there is none. */
    public RecordedRequest lastRequest() {
        synchronized (lock) {
            if (requests.isEmpty()) {
                throw new AssertionError("no request received");
            }
            return requests.get(requests.size() - 1);
        }
    }

    /**
     * The {@code usage} block of one answer: the token counts the client reads.
     *
     * @param promptTokens {@code prompt_tokens}
     * @param completionTokens {@code completion_tokens}
     * @param totalTokens {@code total_tokens}
     */
    public record Usage(int promptTokens, int completionTokens, int totalTokens) {
        /** @return the sum of this and {@code other} */
        public Usage plus(Usage other) {
            return new Usage(promptTokens + other.promptTokens, completionTokens + other.completionTokens,
                    totalTokens + other.totalTokens);
        }
    }

    /** The usage blocks of the answers sent so far (streamed ones only when the request asked for usage), in order. */
    public List<Usage> usages() {
        synchronized (lock) {
            return List.copyOf(usages);
        }
    }

    /** Problems recorded so far (script exhausted, unknown path, ...); see the class comment. */
    public List<String> errors() {
        synchronized (lock) {
            return List.copyOf(errors);
        }
    }

    /** Returns and clears the recorded problems, for tests that provoke them on purpose. */
    public List<String> takeErrors() {
        synchronized (lock) {
            List<String> taken = List.copyOf(errors);
            errors.clear();
            return taken;
        }
    }

    /** Fails if any problem was recorded. */
    public void assertNoErrors() {
        List<String> current = errors();
        if (!current.isEmpty()) {
            throw new AssertionError("ScriptedOpenAiServer recorded " + current.size() + " problem(s):\n - "
                    + String.join("\n - ", current));
        }
    }

    /**
     * Stops the server, then fails with an {@link AssertionError} if problems were recorded and not taken with
     * {@link #takeErrors()}. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        server.stop(0);
        executor.shutdownNow();
        assertNoErrors();
    }

    // ------------------------------------------------------------------------------------------------ serving

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            Map<String, List<String>> headers = new LinkedHashMap<>();
            exchange.getRequestHeaders().forEach((name, values) ->
                    headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values)));

            JsonNode json = null;
            String parseError = null;
            try {
                json = body.isBlank() ? null : MAPPER.readTree(body);
            } catch (JsonProcessingException e) {
                parseError = e.getOriginalMessage();
            }

            Response response;
            synchronized (lock) {
                RecordedRequest recorded = record(requests.size(), method, path, headers, body, json);
                requests.add(recorded);
                response = respond(recorded, parseError);
            }
            send(exchange, response);
        } catch (RuntimeException | Error e) {
            synchronized (lock) {
                errors.add("ScriptedOpenAiServer failed to handle a request: " + e);
            }
            throw e;
        }
    }

    /** Decides the answer; called under {@link #lock}, so replies are consumed in arrival order. */
    private Response respond(RecordedRequest request, String parseError) {
        String where = "request #" + request.index() + " (" + request.method() + " " + request.path() + ")";
        if (!CHAT_COMPLETIONS_PATHS.contains(request.path())) {
            return error(404, "invalid_request_error",
                    where + ": ScriptedOpenAiServer only serves POST /v1/chat/completions");
        }
        if (!"POST".equals(request.method())) {
            return error(405, "invalid_request_error", where + ": only POST is supported");
        }
        if (request.json() == null || !request.json().isObject()) {
            return error(400, "invalid_request_error", where + ": body is not a JSON object"
                    + (parseError == null ? "" : ": " + parseError) + "; body: " + request.body());
        }
        Function<RecordedRequest, ScriptedReply> next = script.pollFirst();
        if (next == null) {
            return error(500, "server_error", where + ": the script is exhausted: all " + consumedReplies
                    + " scripted replies were consumed, but the client made another call. Last message: "
                    + request.lastMessage().orElse(null));
        }
        consumedReplies++;
        ScriptedReply reply;
        try {
            reply = next.apply(request);
        } catch (RuntimeException | Error e) {
            return error(500, "server_error", where + ": the dynamic reply threw " + e);
        }
        if (reply == null) {
            return error(500, "server_error", where + ": the dynamic reply returned null");
        }
        return render(reply, request);
    }

    private Response error(int status, String type, String message) {
        errors.add(message);
        ObjectNode root = MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", message);
        error.put("type", type);
        error.putNull("param");
        error.putNull("code");
        return new Response(status, write(root));
    }

    private Response render(ScriptedReply reply, RecordedRequest request) {
        if (reply instanceof ScriptedReply.Raw raw) {
            return new Response(raw.status(), raw.body());
        }
        if (request.stream()) {
            return renderStream(reply, request);
        }
        String text;
        List<ToolCallSpec> calls;
        if (reply instanceof ScriptedReply.Text t) {
            text = t.text();
            calls = List.of();
        } else if (reply instanceof ScriptedReply.ToolCalls tc) {
            text = tc.text();
            calls = tc.calls();
        } else {
            throw new IllegalStateException("unknown reply " + reply);
        }

        ObjectNode root = MAPPER.createObjectNode();
        root.put("id", "chatcmpl-scripted-" + completionIds.incrementAndGet());
        root.put("object", "chat.completion");
        root.put("created", Instant.now().getEpochSecond());
        root.put("model", request.model() != null ? request.model() : "scripted-model");

        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        if (text == null) {
            message.putNull("content");
        } else {
            message.put("content", text);
        }
        int completionTokens = estimateTokens(text);
        if (!calls.isEmpty()) {
            ArrayNode toolCalls = message.putArray("tool_calls");
            for (ToolCallSpec call : calls) {
                ObjectNode node = toolCalls.addObject();
                node.put("id", call.id());
                node.put("type", "function");
                ObjectNode function = node.putObject("function");
                function.put("name", call.name());
                function.put("arguments", call.arguments());
                completionTokens += estimateTokens(call.name()) + estimateTokens(call.arguments());
            }
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", calls.isEmpty() ? "stop" : "tool_calls");

        int promptTokens = promptTokens(request);
        completionTokens = Math.max(1, completionTokens);
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        usages.add(new Usage(promptTokens, completionTokens, promptTokens + completionTokens));
        return new Response(200, write(root));
    }

    /** The reply as server-sent events of {@code chat.completion.chunk}s. */
    private Response renderStream(ScriptedReply reply, RecordedRequest request) {
        String text = reply instanceof ScriptedReply.Text t ? t.text() : ((ScriptedReply.ToolCalls) reply).text();
        List<ToolCallSpec> calls = reply instanceof ScriptedReply.ToolCalls tc ? tc.calls() : List.of();
        String id = "chatcmpl-scripted-" + completionIds.incrementAndGet();
        String model = request.model() != null ? request.model() : "scripted-model";
        StringBuilder events = new StringBuilder();
        ObjectNode first = chunk(id, model);
        first.putArray("choices").addObject().put("index", 0).putNull("finish_reason").putObject("delta")
                .put("role", "assistant").put("content", "");
        event(events, first);
        if (text != null) {
            for (String piece : text.split("(?<= )")) {
                ObjectNode c = chunk(id, model);
                c.putArray("choices").addObject().put("index", 0).putNull("finish_reason").putObject("delta")
                        .put("content", piece);
                event(events, c);
            }
        }
        int completionTokens = estimateTokens(text);
        for (int i = 0; i < calls.size(); i++) {
            ToolCallSpec call = calls.get(i);
            ObjectNode c = chunk(id, model);
            ObjectNode delta = c.putArray("choices").addObject().put("index", 0).putNull("finish_reason")
                    .putObject("delta");
            ObjectNode node = delta.putArray("tool_calls").addObject().put("index", i).put("id", call.id())
                    .put("type", "function");
            node.putObject("function").put("name", call.name()).put("arguments", call.arguments());
            event(events, c);
            completionTokens += estimateTokens(call.name()) + estimateTokens(call.arguments());
        }
        ObjectNode last = chunk(id, model);
        last.putArray("choices").addObject().put("index", 0).put("finish_reason", calls.isEmpty() ? "stop"
                : "tool_calls").putObject("delta");
        event(events, last);
        if (request.json().path("stream_options").path("include_usage").asBoolean(false)) {
            ObjectNode usage = chunk(id, model);
            usage.putArray("choices");
            int promptTokens = promptTokens(request);
            completionTokens = Math.max(1, completionTokens);
            usage.putObject("usage").put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                    .put("total_tokens", promptTokens + completionTokens);
            usages.add(new Usage(promptTokens, completionTokens, promptTokens + completionTokens));
            event(events, usage);
        }
        events.append("data: [DONE]\n\n");
        return new Response(200, events.toString(), "text/event-stream");
    }

    private static ObjectNode chunk(String id, String model) {
        ObjectNode c = MAPPER.createObjectNode();
        c.put("id", id);
        c.put("object", "chat.completion.chunk");
        c.put("created", Instant.now().getEpochSecond());
        c.put("model", model);
        return c;
    }

    private static void event(StringBuilder events, JsonNode chunk) {
        events.append("data: ").append(write(chunk)).append("\n\n");
    }

    private static int promptTokens(RecordedRequest request) {
        int promptTokens = 0;
        for (RecordedMessage m : request.messages()) {
            promptTokens += estimateTokens(m.content());
        }
        return Math.max(1, promptTokens);
    }

    /** A rough, deterministic token estimate: one token per started 4 characters. */
    static int estimateTokens(String text) {
        return text == null ? 0 : (text.length() + 3) / 4;
    }

    private static void send(HttpExchange exchange, Response response) throws IOException {
        byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", response.contentType() + "; charset=utf-8");
        exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------------------ parsing

    private static RecordedRequest record(
            int index, String method, String path, Map<String, List<String>> headers, String body, JsonNode json) {
        String model = null;
        List<RecordedMessage> messages = new ArrayList<>();
        List<String> tools = new ArrayList<>();
        boolean stream = false;
        if (json != null && json.isObject()) {
            model = text(json, "model");
            stream = json.path("stream").asBoolean(false);
            for (JsonNode m : json.path("messages")) {
                messages.add(parseMessage(m));
            }
            for (JsonNode tool : json.path("tools")) {
                String name = text(tool.path("function"), "name");
                tools.add(name != null ? name : text(tool, "name"));
            }
            for (JsonNode function : json.path("functions")) { // legacy
                tools.add(text(function, "name"));
            }
        }
        return new RecordedRequest(index, method, path, headers, body, json, model, messages, tools, stream);
    }

    private static RecordedMessage parseMessage(JsonNode m) {
        List<ToolCallSpec> toolCalls = new ArrayList<>();
        for (JsonNode call : m.path("tool_calls")) {
            JsonNode function = call.path("function");
            toolCalls.add(new ToolCallSpec(
                    orEmpty(text(call, "id")), orEmpty(text(function, "name")), arguments(function.get("arguments"))));
        }
        JsonNode functionCall = m.get("function_call"); // legacy
        if (functionCall != null && functionCall.isObject()) {
            toolCalls.add(new ToolCallSpec(
                    "", orEmpty(text(functionCall, "name")), arguments(functionCall.get("arguments"))));
        }
        return new RecordedMessage(
                text(m, "role"), content(m.get("content")), toolCalls, text(m, "tool_call_id"), text(m, "name"));
    }

    /** A string content as is; an array of parts as its text parts joined with a newline. */
    private static String content(JsonNode content) {
        if (content == null || content.isNull() || content.isMissingNode()) {
            return null;
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            List<String> texts = new ArrayList<>();
            for (JsonNode part : content) {
                if (part.isTextual()) {
                    texts.add(part.asText());
                } else if (part.has("text") && ("text".equals(text(part, "type")) || !part.has("type"))) {
                    texts.add(text(part, "text"));
                }
            }
            return texts.isEmpty() ? null : String.join("\n", texts);
        }
        return content.toString();
    }

    private static String arguments(JsonNode arguments) {
        if (arguments == null || arguments.isNull() || arguments.isMissingNode()) {
            return "";
        }
        return arguments.isTextual() ? arguments.asText() : arguments.toString();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() || value.isMissingNode() ? null : value.asText();
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private record Response(int status, String body, String contentType) {
        Response(int status, String body) {
            this(status, body, "application/json");
        }
    }
}
