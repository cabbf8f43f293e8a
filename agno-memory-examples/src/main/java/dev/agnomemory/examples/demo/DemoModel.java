package dev.agnomemory.examples.demo;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small, deterministic, in-process stand-in for a chat model, so the demo runs without an API key. It plays the
 * three parts a real model plays for agno-memory, told apart by the request's system message:
 * <ul>
 *   <li><b>the agent</b>: calls {@code get_weather} when asked about the weather and answers from the result;
 *       answers "what do you remember about me?" from the memories block of its system message; otherwise
 *       acknowledges;</li>
 *   <li><b>the memory model</b>: turns "my name is ...", "I live in ...", "I love ..." and "I work as ..." in the
 *       user's message into memory operations (JSON, as the memory manager asks), and nothing else;</li>
 *   <li><b>the summarizer</b>: writes a summary listing what the user said, with topics.</li>
 * </ul>
 * Every request and response is handed to a listener first, which is how the demo prints exactly what a model is
 * sent. Token usage is counted as words, so run metrics have figures.
 */
final class DemoModel implements ChatModel {

    /** What kind of work a request asks for. */
    enum Kind { AGENT, MEMORY, SUMMARY }

    static final String NAME = "demo-model";

    private static final Pattern WEATHER = Pattern.compile("weather in ([A-Z][\\p{L}-]+)");
    private static final Pattern FACTS = Pattern.compile(
            "(?i)\\b(my name is|i live in|i love|i work as)\\s+(.+?)(?=\\s+and\\s|[.,!?\\n]|$)");
    private static final Pattern MEMORY_LINE = Pattern.compile("(?m)^- (.+)$");

    private final BiConsumer<ChatRequest, ChatResponse> listener;

    DemoModel(BiConsumer<ChatRequest, ChatResponse> listener) {
        this.listener = listener;
    }

    static Kind kindOf(ChatRequest request) {
        String system = request.messages().stream().filter(SystemMessage.class::isInstance)
                .map(m -> ((SystemMessage) m).text()).findFirst().orElse("");
        if (system.startsWith("You manage the long-term memories")) {
            return Kind.MEMORY;
        }
        if (system.startsWith("You keep a running summary")) {
            return Kind.SUMMARY;
        }
        return Kind.AGENT;
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        AiMessage answer = switch (kindOf(request)) {
            case MEMORY -> AiMessage.from(memoryOperations(lastUserText(request)));
            case SUMMARY -> AiMessage.from(summary(lastUserText(request)));
            case AGENT -> agent(request);
        };
        int in = words(request.messages());
        int out = answer.text() == null ? 5 : answer.text().split("\\s+").length;
        ChatResponse response = ChatResponse.builder().aiMessage(answer).modelName(NAME)
                .tokenUsage(new TokenUsage(in, out))
                .finishReason(answer.hasToolExecutionRequests() ? FinishReason.TOOL_EXECUTION : FinishReason.STOP)
                .build();
        listener.accept(request, response);
        return response;
    }

    private static AiMessage agent(ChatRequest request) {
        List<ChatMessage> messages = request.messages();
        ChatMessage last = messages.get(messages.size() - 1);
        if (last instanceof ToolExecutionResultMessage result) {
            return AiMessage.from("The weather there: " + result.text() + ".");
        }
        String text = lastUserText(request);
        Matcher weather = WEATHER.matcher(text);
        boolean offersWeather = request.toolSpecifications().stream().map(ToolSpecification::name)
                .anyMatch("get_weather"::equals);
        if (weather.find() && offersWeather) {
            return AiMessage.from(ToolExecutionRequest.builder().id("call-" + Math.abs(text.hashCode()))
                    .name("get_weather").arguments("{\"city\":\"" + weather.group(1) + "\"}").build());
        }
        if (text.toLowerCase(Locale.ROOT).contains("remember about me")) {
            String system = messages.get(0) instanceof SystemMessage s ? s.text() : "";
            int start = system.indexOf("<memories_from_previous_interactions>");
            int end = system.indexOf("</memories_from_previous_interactions>");
            if (start < 0 || end < start) {
                return AiMessage.from("I don't know anything about you yet.");
            }
            List<String> facts = new ArrayList<>();
            Matcher m = MEMORY_LINE.matcher(system.substring(start, end));
            while (m.find()) {
                facts.add(m.group(1));
            }
            return AiMessage.from("I remember: " + String.join(" ", facts));
        }
        return AiMessage.from("Got it: " + text);
    }

    /** The memory manager's prompt ends with the user's message; the facts in it become "add" operations. */
    private static String memoryOperations(String prompt) {
        String end = "</existing_memories>";
        int at = prompt.indexOf(end);
        String existing = at < 0 ? "" : prompt.substring(0, at);
        String input = at < 0 ? prompt : prompt.substring(at + end.length());
        StringBuilder ops = new StringBuilder();
        Matcher m = FACTS.matcher(input);
        while (m.find()) {
            String fact = switch (m.group(1).toLowerCase(Locale.ROOT)) {
                case "my name is" -> "The user's name is " + m.group(2).strip() + ".";
                case "i live in" -> "The user lives in " + m.group(2).strip() + ".";
                case "i love" -> "The user loves " + m.group(2).strip() + ".";
                default -> "The user works as " + m.group(2).strip() + ".";
            };
            if (existing.contains(fact)) {
                continue;
            }
            String topic = m.group(1).toLowerCase(Locale.ROOT).equals("i love") ? "interests" : "personal";
            ops.append(ops.isEmpty() ? "" : ", ").append("{\"action\": \"add\", \"memory\": \"").append(fact)
                    .append("\", \"topics\": [\"").append(topic).append("\"]}");
        }
        return "{\"worth_remembering\": " + !ops.isEmpty() + ", \"operations\": [" + ops + "]}";
    }

    /**
     * The summarizer's prompt holds the summary so far and the new exchanges as "User: ..." lines; the new summary
     * is the old one with what the user said since.
     */
    private static String summary(String prompt) {
        List<String> said = new ArrayList<>();
        String start = "<summary_so_far>\n";
        int from = prompt.indexOf(start);
        int to = prompt.indexOf("\nTopics:", from);
        if (from >= 0 && to > from && prompt.startsWith(SAID, from + start.length())) {
            said.add(prompt.substring(from + start.length() + SAID.length(), to));
        }
        for (String line : prompt.substring(Math.max(0, prompt.indexOf("<new_exchanges>"))).split("\n")) {
            if (line.startsWith("User: ")) {
                said.add(line.substring(6).replace("\"", "'"));
            }
        }
        return "{\"summary\": \"" + SAID + String.join(" / ", said)
                + "\", \"topics\": [\"travel\", \"about the user\"]}";
    }

    private static final String SAID = "The user said: ";

    private static String lastUserText(ChatRequest request) {
        for (int i = request.messages().size() - 1; i >= 0; i--) {
            if (request.messages().get(i) instanceof UserMessage user) {
                return user.singleText();
            }
        }
        return "";
    }

    private static int words(List<ChatMessage> messages) {
        int n = 0;
        for (ChatMessage m : messages) {
            n += m.toString().split("\\s+").length;
        }
        return n;
    }
}
