package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Asks any {@link ChatModel} for a JSON object of a given shape. A model that supports JSON-schema structured
 * output gets the schema as the response format; any other gets the shape in the prompt. An answer that does not
 * parse or does not pass the check gets one repair request with the error; a second failure is a
 * {@link MalformedModelOutputException}.
 *
 * @param <T> what the checked answer becomes
 */
final class StructuredOutput<T> {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final JsonSchema schema;
    private final String shapeInstructions;
    private final Function<JsonNode, T> check;

    /**
     * @param schema the JSON schema, for models that support structured output
     * @param shapeInstructions the same shape described in words with an example, for the others
     * @param check turns the parsed JSON into a value; throws {@link MalformedModelOutputException} when it breaks a
     *     rule
     */
    StructuredOutput(JsonSchema schema, String shapeInstructions, Function<JsonNode, T> check) {
        this.schema = schema;
        this.shapeInstructions = shapeInstructions;
        this.check = check;
    }

    T ask(ChatModel model, String systemPrompt, String userPrompt) {
        boolean native_ = model.supportedCapabilities().contains(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
        List<ChatMessage> messages = new ArrayList<>();
        messages.add(SystemMessage.from(native_ ? systemPrompt : systemPrompt + "\n\n" + shapeInstructions));
        messages.add(UserMessage.from(userPrompt));
        String answer = call(model, messages, native_);
        try {
            return parse(answer);
        } catch (MalformedModelOutputException first) {
            messages.add(AiMessage.from(answer == null || answer.isEmpty() ? "(empty answer)" : answer));
            messages.add(UserMessage.from("Your answer could not be used: " + first.getMessage()
                    + ". Reply again with only the corrected JSON object, nothing else.\n\n" + shapeInstructions));
            String repaired = call(model, messages, native_);
            try {
                return parse(repaired);
            } catch (MalformedModelOutputException second) {
                throw new MalformedModelOutputException("after one repair attempt: " + second.getMessage());
            }
        }
    }

    private String call(ChatModel model, List<ChatMessage> messages, boolean native_) {
        ChatRequest.Builder request = ChatRequest.builder().messages(messages);
        if (native_) {
            request.responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(schema).build());
        }
        AiMessage reply = model.chat(request.build()).aiMessage();
        return reply == null ? null : reply.text();
    }

    private T parse(String answer) {
        if (answer == null || answer.isBlank()) {
            throw new MalformedModelOutputException("the answer was empty");
        }
        String json = stripFences(answer.strip());
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (Exception e) {
            throw new MalformedModelOutputException("the answer is not JSON (" + firstLine(e.getMessage()) + ")");
        }
        if (node == null || !node.isObject()) {
            throw new MalformedModelOutputException("the answer is not a JSON object");
        }
        try {
            return check.apply(node);
        } catch (MalformedModelOutputException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new MalformedModelOutputException("the answer has the wrong shape (" + e.getMessage() + ")");
        }
    }

    /** Models without structured output like to wrap JSON in a Markdown fence or add a sentence around it. */
    private static String stripFences(String text) {
        int start = text.indexOf('{');
        int end = text.lastIndexOf('}');
        return start >= 0 && end > start ? text.substring(start, end + 1) : text;
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    // ---- checks shared by the callers ----

    static String requiredText(JsonNode node, String field, int maxLength) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isBlank()) {
            throw new MalformedModelOutputException("\"" + field + "\" must be a non-empty string");
        }
        String text = value.asText().strip();
        if (text.length() > maxLength) {
            throw new MalformedModelOutputException("\"" + field + "\" is longer than " + maxLength + " characters");
        }
        return text;
    }

    static List<String> texts(JsonNode node, String field, int maxItems, int maxLength) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw new MalformedModelOutputException("\"" + field + "\" must be a list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : value) {
            if (!item.isTextual()) {
                throw new MalformedModelOutputException("\"" + field + "\" must hold only strings");
            }
            String text = item.asText().strip();
            if (!text.isEmpty() && text.length() <= maxLength && out.size() < maxItems) {
                out.add(text);
            }
        }
        return out;
    }
}
