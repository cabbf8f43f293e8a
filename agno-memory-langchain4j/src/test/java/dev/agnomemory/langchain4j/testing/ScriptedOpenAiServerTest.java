package dev.agnomemory.langchain4j.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.exception.InternalServerException;
import dev.langchain4j.exception.RateLimitException;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.UserMessage;
import dev.langchain4j.service.tool.ToolErrorHandlerResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Proves {@link ScriptedOpenAiServer} end to end with the real {@link OpenAiChatModel} and {@link AiServices}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ScriptedOpenAiServerTest {

    interface Assistant {
        String chat(@MemoryId String id, @UserMessage String msg);
    }

    /** A tool with an Integer parameter; records what it was called with. */
    static class Doubler {
        final List<Integer> calls = new CopyOnWriteArrayList<>();

        @Tool("Doubles a number")
        String twice(@P("the number to double") Integer n) {
            calls.add(n);
            return String.valueOf(n * 2);
        }
    }

    private ScriptedOpenAiServer server;
    private OpenAiChatModel model;

    @BeforeEach
    void start() {
        server = ScriptedOpenAiServer.start();
        model = modelFor(server);
    }

    @AfterEach
    void stop() {
        server.close(); // fails the test if the server recorded an unexpected problem
    }

    private static OpenAiChatModel modelFor(ScriptedOpenAiServer server) {
        return OpenAiChatModel.builder()
                .baseUrl(server.baseUrl())
                .apiKey("test-key")
                .modelName("gpt-4o-mini")
                .maxRetries(0) // default is 2 retries with ~1s back-off: a broken script would be retried
                .timeout(Duration.ofSeconds(10))
                .logRequests(false)
                .logResponses(false)
                .build();
    }

    private Assistant assistant(Object tools, ConcurrentHashMap<Object, MessageWindowChatMemory> memories) {
        ChatMemoryProvider provider =
                id -> memories.computeIfAbsent(id, k -> MessageWindowChatMemory.withMaxMessages(10));
        return AiServices.builder(Assistant.class)
                .chatModel(model)
                .chatMemoryProvider(provider)
                .tools(tools)
                .build();
    }

    // ------------------------------------------------------------------------------------------ plain chat

    @Test
    void baseUrlIsLoopbackWithV1() {
        assertThat(server.baseUrl()).isEqualTo("http://127.0.0.1:" + server.port() + "/v1");
        assertThat(server.port()).isPositive();
    }

    @Test
    void plainChatReturnsScriptedTextAndRecordsTheRequest() {
        server.replyText("Hello from the script");

        String answer = model.chat("hi");

        assertThat(answer).isEqualTo("Hello from the script");
        assertThat(server.requests()).hasSize(1);
        RecordedRequest request = server.request(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/v1/chat/completions");
        assertThat(request.header("Authorization")).isEqualTo("Bearer test-key");
        assertThat(request.header("content-type")).isEqualTo("application/json");
        assertThat(request.model()).isEqualTo("gpt-4o-mini");
        assertThat(request.stream()).isFalse();
        assertThat(request.json().get("stream").asBoolean(true)).isFalse(); // sent explicitly as false
        assertThat(request.tools()).isEmpty();
        assertThat(request.messages()).containsExactly(new RecordedMessage("user", "hi", List.of(), null, null));
        server.assertAllRepliesConsumed();
    }

    @Test
    void responseMetadataIsParsedByTheClient() {
        server.replyText("12345678"); // 8 chars -> 2 completion tokens

        ChatResponse response = model.chat(ChatRequest.builder()
                .messages(dev.langchain4j.data.message.SystemMessage.from("be brief"),
                        dev.langchain4j.data.message.UserMessage.from("abcd"))
                .build());

        assertThat(response.aiMessage().text()).isEqualTo("12345678");
        assertThat(response.aiMessage().hasToolExecutionRequests()).isFalse();
        assertThat(response.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(response.id()).startsWith("chatcmpl-scripted-");
        assertThat(response.modelName()).isEqualTo("gpt-4o-mini");
        // prompt: "be brief" (2) + "abcd" (1)
        assertThat(response.tokenUsage().inputTokenCount()).isEqualTo(3);
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(2);
        assertThat(response.tokenUsage().totalTokenCount()).isEqualTo(5);
        assertThat(server.request(0).messages()).extracting(RecordedMessage::role).containsExactly("system", "user");
    }

    @Test
    void contentPartsAreJoined() {
        server.replyText("ok");

        model.chat(dev.langchain4j.data.message.UserMessage.from(TextContent.from("first"), TextContent.from("second")));

        RecordedRequest request = server.request(0);
        assertThat(request.json().at("/messages/0/content").isArray()).isTrue();
        assertThat(request.messages().get(0).content()).isEqualTo("first\nsecond");
    }

    @Test
    void dynamicReplySeesTheRequest() {
        server.reply(request -> "echo: " + request.lastMessage().orElseThrow().content()
                + " via " + request.model());

        assertThat(model.chat("ping")).isEqualTo("echo: ping via gpt-4o-mini");
    }

    @Test
    void modelToolCallsAreReturnedToTheClient() {
        server.replyToolCalls(
                ToolCallSpec.of("call_a", "twice", "{\"n\": 1}"), ToolCallSpec.of("call_b", "other", "not json"));

        ChatResponse response = model.chat(ChatRequest.builder()
                .messages(dev.langchain4j.data.message.UserMessage.from("go"))
                .build());

        assertThat(response.finishReason()).isEqualTo(FinishReason.TOOL_EXECUTION);
        assertThat(response.aiMessage().text()).isNull();
        assertThat(response.aiMessage().toolExecutionRequests()).hasSize(2);
        assertThat(response.aiMessage().toolExecutionRequests().get(0).id()).isEqualTo("call_a");
        assertThat(response.aiMessage().toolExecutionRequests().get(0).name()).isEqualTo("twice");
        assertThat(response.aiMessage().toolExecutionRequests().get(0).arguments()).isEqualTo("{\"n\": 1}");
        assertThat(response.aiMessage().toolExecutionRequests().get(1).arguments()).isEqualTo("not json");
    }

    // --------------------------------------------------------------------------------- AiServices + tools

    @Test
    void aiServiceExecutesScriptedToolCallAndSendsTheResultBack() {
        Doubler doubler = new Doubler();
        ConcurrentHashMap<Object, MessageWindowChatMemory> memories = new ConcurrentHashMap<>();
        Assistant assistant = assistant(doubler, memories);
        server.replyToolCalls(ToolCallSpec.of("call_1", "twice", "{\"n\": 21}"))
                .replyText("The answer is 42.")
                .replyText("You asked about 21 before.");

        String answer = assistant.chat("s1", "What is 21 doubled?");

        assertThat(answer).isEqualTo("The answer is 42.");
        assertThat(doubler.calls).containsExactly(21);
        assertThat(server.requests()).hasSize(2);

        RecordedRequest first = server.request(0);
        assertThat(first.tools()).containsExactly("twice");
        assertThat(first.json().at("/tools/0/function/parameters/properties/n/type").asText()).isEqualTo("integer");
        assertThat(first.messages()).containsExactly(
                new RecordedMessage("user", "What is 21 doubled?", List.of(), null, null));

        RecordedRequest second = server.request(1);
        assertThat(second.tools()).containsExactly("twice");
        assertThat(second.messages()).containsExactly(
                new RecordedMessage("user", "What is 21 doubled?", List.of(), null, null),
                new RecordedMessage(
                        "assistant", null, List.of(ToolCallSpec.of("call_1", "twice", "{\"n\": 21}")), null, null),
                new RecordedMessage("tool", "42", List.of(), "call_1", null));

        // The memory keeps the whole exchange, so the next turn carries it.
        assertThat(assistant.chat("s1", "What did I ask?")).isEqualTo("You asked about 21 before.");
        RecordedRequest third = server.request(2);
        assertThat(third.messages()).extracting(RecordedMessage::role)
                .containsExactly("user", "assistant", "tool", "assistant", "user");
        assertThat(third.messages().get(3).content()).isEqualTo("The answer is 42.");
        assertThat(memories.get("s1").messages()).hasSize(6);
        server.assertAllRepliesConsumed();
    }

    @Test
    void malformedArgumentsFailTheCallWithTheDefaultArgumentsErrorHandler() {
        // LangChain4j 1.19: argument-parsing problems go to the ToolArgumentsErrorHandler, whose default RETHROWS
        // (only the ToolExecutionErrorHandler, for exceptions thrown by the tool method, returns text to the LLM).
        Doubler doubler = new Doubler();
        ConcurrentHashMap<Object, MessageWindowChatMemory> memories = new ConcurrentHashMap<>();
        Assistant assistant = assistant(doubler, memories);
        server.replyToolCalls(ToolCallSpec.of("call_1", "twice", "{\"n\": \"abc\"}"))
                .replyText("never sent");

        assertThatThrownBy(() -> assistant.chat("s1", "double abc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"n\"")
                .hasMessageContaining("abc");

        assertThat(doubler.calls).isEmpty();
        assertThat(server.requests()).hasSize(1); // the model is never told
        assertThat(server.remainingReplies()).isEqualTo(1);
        // The memory is left with a dangling tool call (no tool result): a real OpenAI endpoint would reject the
        // next turn of this conversation with a 400.
        assertThat(memories.get("s1").messages()).extracting(m -> m.type().name())
                .containsExactly("USER", "AI");
    }

    @Test
    void malformedArgumentsAreReportedToTheModelWithAnArgumentsErrorHandler() {
        Doubler doubler = new Doubler();
        Assistant assistant = AiServices.builder(Assistant.class)
                .chatModel(model)
                .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(10))
                .tools(doubler)
                .toolArgumentsErrorHandler((error, context) -> ToolErrorHandlerResult.text(
                        "Invalid arguments for " + context.toolExecutionRequest().name() + ": "
                                + error.getMessage()))
                .build();
        server.replyToolCalls(ToolCallSpec.of("call_bad", "twice", "{\"n\": \"abc\"}"))
                .replyText("Sorry, abc is not a number.")
                .replyToolCalls(ToolCallSpec.of("call_junk", "twice", "not json"))
                .replyText("Sorry again.");

        assertThat(assistant.chat("s1", "double abc")).isEqualTo("Sorry, abc is not a number.");
        assertThat(assistant.chat("s2", "double junk")).isEqualTo("Sorry again.");

        assertThat(doubler.calls).isEmpty();
        assertThat(server.requests()).hasSize(4);
        RecordedMessage toolResult = server.request(1).lastMessage().orElseThrow();
        assertThat(toolResult.role()).isEqualTo("tool");
        assertThat(toolResult.toolCallId()).isEqualTo("call_bad");
        assertThat(toolResult.content())
                .startsWith("Invalid arguments for twice:")
                .contains("\"n\"")
                .contains("java.lang.Integer")
                .contains("abc");
        assertThat(server.request(1).messages().get(1).toolCalls())
                .containsExactly(ToolCallSpec.of("call_bad", "twice", "{\"n\": \"abc\"}"));

        RecordedMessage junkResult = server.request(3).lastMessage().orElseThrow();
        assertThat(junkResult.role()).isEqualTo("tool");
        assertThat(junkResult.toolCallId()).isEqualTo("call_junk");
        assertThat(junkResult.content()).startsWith("Invalid arguments for twice:");
        server.assertAllRepliesConsumed();
    }

    @Test
    void exceptionThrownByTheToolIsReturnedToTheModelByDefault() {
        Doubler doubler = new Doubler();
        Assistant assistant = assistant(doubler, new ConcurrentHashMap<>());
        // {} passes argument parsing (Integer is not validated as required) and null reaches the method -> NPE.
        server.replyToolCalls(ToolCallSpec.of("call_npe", "twice", "{}")).replyText("recovered");

        assertThat(assistant.chat("s1", "double nothing")).isEqualTo("recovered");

        assertThat(doubler.calls).containsExactly((Integer) null);
        RecordedMessage toolResult = server.request(1).lastMessage().orElseThrow();
        assertThat(toolResult.role()).isEqualTo("tool");
        assertThat(toolResult.toolCallId()).isEqualTo("call_npe");
        // The default ToolExecutionErrorHandler sends the exception message (here a helpful NPE message).
        assertThat(toolResult.content()).contains("\"n\" is null");
    }

    // ------------------------------------------------------------------------------------------ error cases

    @Test
    void rawErrorStatusesMapToLangChain4jExceptions() {
        server.replyRaw(429, "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit\"}}")
                .replyRaw(503, "{\"error\":{\"message\":\"overloaded\"}}");

        assertThatThrownBy(() -> model.chat("a")).isInstanceOf(RateLimitException.class).hasMessageContaining("slow down");
        assertThatThrownBy(() -> model.chat("b")).isInstanceOf(InternalServerException.class)
                .hasMessageContaining("overloaded");
        assertThat(server.requests()).hasSize(2); // maxRetries(0): no retry
        assertThat(server.errors()).isEmpty(); // scripted errors are not server problems
    }

    @Test
    void exhaustedScriptAnswers500AndRecordsAnError() {
        server.replyText("only one");
        assertThat(model.chat("first")).isEqualTo("only one");

        assertThatThrownBy(() -> model.chat("second"))
                .isInstanceOf(InternalServerException.class)
                .hasMessageContaining("script is exhausted");

        List<String> errors = server.takeErrors();
        assertThat(errors).singleElement().asString()
                .contains("request #1")
                .contains("script is exhausted")
                .contains("second");
        assertThat(server.requests()).hasSize(2);
    }

    @Test
    void closeFailsWhenProblemsWereNotTaken() {
        ScriptedOpenAiServer other = ScriptedOpenAiServer.start();
        OpenAiChatModel otherModel = modelFor(other);
        assertThatThrownBy(() -> otherModel.chat("unscripted")).isInstanceOf(InternalServerException.class);

        assertThatThrownBy(other::close)
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("script is exhausted");
        other.close(); // idempotent: does not throw again
    }

    @Test
    void unknownPathsAndBadJsonAreRejectedAndRecorded() throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String root = "http://127.0.0.1:" + server.port();

        server.replyText("streamed answer");
        HttpResponse<String> streaming = http.send(
                post(root + "/v1/chat/completions",
                        "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(streaming.statusCode()).isEqualTo(200);
        assertThat(streaming.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
        assertThat(streaming.body()).contains("\"content\":\"streamed \"", "\"content\":\"answer\"",
                "\"finish_reason\":\"stop\"", "\"usage\":{\"prompt_tokens\":1,").endsWith("data: [DONE]\n\n");

        HttpResponse<String> noV1 = http.send(
                post(root + "/chat/completions", "{\"model\":\"m\",\"messages\":[]}"),
                HttpResponse.BodyHandlers.ofString());
        assertThat(noV1.statusCode()).isEqualTo(500); // accepted path, but nothing scripted

        HttpResponse<String> unknown = http.send(
                post(root + "/v1/embeddings", "{}"), HttpResponse.BodyHandlers.ofString());
        assertThat(unknown.statusCode()).isEqualTo(404);

        HttpResponse<String> badJson = http.send(
                post(root + "/v1/chat/completions", "not json"), HttpResponse.BodyHandlers.ofString());
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(badJson.body()).contains("not a JSON object");

        assertThat(server.requests()).extracting(RecordedRequest::path).containsExactly(
                "/v1/chat/completions", "/chat/completions", "/v1/embeddings", "/v1/chat/completions");
        assertThat(server.request(0).stream()).isTrue();
        assertThat(server.request(3).json()).isNull();
        assertThat(server.request(3).body()).isEqualTo("not json");
        assertThat(server.takeErrors()).hasSize(3);
    }

    private static HttpRequest post(String url, String body) {
        return HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
    }

    // ---------------------------------------------------------------------------------------- concurrency

    @Test
    void concurrentRequestsAreAllRecordedAndAnswered() throws Exception {
        int n = 8;
        for (int i = 0; i < n; i++) {
            server.reply(request -> "echo " + request.lastMessage().orElseThrow().content());
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Callable<String>> calls = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String msg = "m" + i;
                calls.add(() -> model.chat(msg));
            }
            List<Future<String>> futures = pool.invokeAll(calls, 30, TimeUnit.SECONDS);
            for (int i = 0; i < n; i++) {
                assertThat(futures.get(i).get()).isEqualTo("echo m" + i);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(server.requests()).hasSize(n);
        assertThat(server.requests()).extracting(RecordedRequest::index)
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, n).boxed().toList());
        server.assertAllRepliesConsumed();
    }
}
