package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

/** The JSON the history tools answer with. */
final class HistoryJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private HistoryJson() {
    }

    static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    static String write(ArrayNode array) {
        try {
            return MAPPER.writeValueAsString(array);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write history as JSON", e);
        }
    }

    /**
     * Checks a count the model passed to a tool, so a bad value gets a clear error text back to the model (as
     * the tool's error result) and the user's call goes on.
     */
    static int checkCount(Integer value, String name, int whenMissing, int max) {
        if (value == null) {
            return whenMissing;
        }
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be a whole number of at least 1, but was " + value
                    + ". Call the tool again with a positive number, or without " + name + ".");
        }
        if (value > max) {
            throw new IllegalArgumentException(name + " must be at most " + max + ", but was " + value
                    + ". Call the tool again with a smaller number, or without " + name + ".");
        }
        return value;
    }
}
