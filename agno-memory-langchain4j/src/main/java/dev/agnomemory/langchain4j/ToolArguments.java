package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The arguments of one tool call, as the model sent them (a JSON object), with checks that answer the model in
 * plain words: a {@link ToolInputException} names the argument, what it must be, and what was sent.
 */
final class ToolArguments {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String tool;
    private final ObjectNode values;

    private ToolArguments(String tool, ObjectNode values) {
        this.tool = tool;
        this.values = values;
    }

    /**
     * @param tool the tool's name, for error texts
     * @param json the arguments as the model sent them; null or blank means none
     * @return the parsed arguments
     * @throws ToolInputException when they are not a JSON object
     */
    static ToolArguments parse(String tool, String json) {
        if (json == null || json.isBlank()) {
            return new ToolArguments(tool, MAPPER.createObjectNode());
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            node = null;
        }
        if (node == null || !node.isObject()) {
            throw new ToolInputException("The arguments of " + tool + " must be a JSON object, but were: "
                    + shorten(json) + ". Call " + tool + " again with a JSON object.");
        }
        return new ToolArguments(tool, (ObjectNode) node);
    }

    /**
     * An optional whole number.
     *
     * @param name the argument
     * @param whenMissing the value when it is absent or null
     * @param max the largest allowed value
     * @return the value, from 1 to {@code max}
     */
    int count(String name, int whenMissing, int max) {
        JsonNode value = values.get(name);
        if (value == null || value.isNull()) {
            return whenMissing;
        }
        long n;
        if (value.isIntegralNumber()) {
            n = value.canConvertToLong() ? value.asLong() : Long.MAX_VALUE;
        } else if (value.isTextual() && value.asText().strip().matches("-?\\d{1,18}")) {
            n = Long.parseLong(value.asText().strip());
        } else {
            throw new ToolInputException(name + " must be a whole number, but was " + shorten(value.toString())
                    + ". Call " + tool + " again with a number, or without " + name + ".");
        }
        if (n < 1) {
            throw new ToolInputException(name + " must be a whole number of at least 1, but was " + n
                    + ". Call " + tool + " again with a positive number, or without " + name + ".");
        }
        if (n > max) {
            throw new ToolInputException(name + " must be at most " + max + ", but was " + n + ". Call " + tool
                    + " again with a smaller number, or without " + name + ".");
        }
        return (int) n;
    }

    /**
     * A required, non-blank text.
     *
     * @param name the argument
     * @return the text, stripped
     */
    String text(String name) {
        return exactText(name).strip();
    }

    /**
     * A required, non-blank text, kept exactly as sent (for ids, which may hold any characters).
     *
     * @param name the argument
     * @return the text
     */
    String exactText(String name) {
        JsonNode value = values.get(name);
        if (value == null || value.isNull() || !value.isTextual() || value.asText().isBlank()) {
            throw new ToolInputException(name + " is required and must be a non-empty text"
                    + (value == null || value.isNull() ? "" : ", but was " + shorten(value.toString()))
                    + ". Call " + tool + " again with " + name + ".");
        }
        return value.asText();
    }

    /**
     * A required JSON object; a text holding a JSON object is accepted too (models send both).
     *
     * @param name the argument
     * @return the object
     */
    ObjectNode object(String name) {
        JsonNode value = values.get(name);
        if (value != null && value.isTextual()) {
            try {
                value = MAPPER.readTree(value.asText());
            } catch (JsonProcessingException e) {
                value = null;
            }
        }
        if (value == null || !value.isObject()) {
            JsonNode sent = values.get(name);
            throw new ToolInputException(name + " must be a JSON object of the keys to set"
                    + (sent == null || sent.isNull() ? ", but was missing" : ", but was " + shorten(sent.toString()))
                    + ". Call " + tool + " again with " + name + " as an object, for example {\"" + name
                    + "\": {\"key\": \"value\"}}.");
        }
        return (ObjectNode) value;
    }

    /** Long or odd arguments are cut for the answer and the log: the model needs the gist, not the bytes. */
    static String shorten(String text) {
        String oneLine = text.replaceAll("\\s+", " ").strip();
        return oneLine.length() <= 80 ? oneLine : oneLine.substring(0, 77) + "...";
    }
}
