package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * Agno's session state (a JSON object per session) as the adapter handles it.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>On load</b> (at the start of every call that has defaults or a state of its own): the state is the
 *       provider's defaults ({@code sessionState}), then the stored state, then the call's state, each key of a
 *       later one replacing the same key of an earlier one (Agno's precedence: call over stored over defaults).
 *       With {@code overwriteDbSessionState}, a call that brings a state replaces the stored one: defaults, then
 *       the call's. The result is stored when it differs.</li>
 *   <li><b>Updates</b> ({@code update_session_state}) merge the given top-level keys into the stored state; keys
 *       are set, never removed.</li>
 * </ul>
 */
final class SessionStates {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private SessionStates() {
    }

    /**
     * @param json a JSON object's text
     * @param name what it is, for the error
     * @return the object
     * @throws IllegalArgumentException when it is not a JSON object
     */
    static ObjectNode parse(String json, String name) {
        JsonNode node;
        try {
            node = json == null ? null : MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            node = null;
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(name + " must be a JSON object, but is "
                    + (json == null ? "null" : ToolArguments.shorten(json)));
        }
        return (ObjectNode) node;
    }

    /**
     * A state given for one call: a JSON object's text, a {@code Map} or a Jackson object.
     *
     * @throws IllegalArgumentException when it is none of those
     */
    static ObjectNode of(Object value, String name) {
        if (value instanceof ObjectNode node) {
            return node;
        }
        if (value instanceof String json) {
            return parse(json, name);
        }
        if (value instanceof Map<?, ?> map) {
            return MAPPER.valueToTree(map);
        }
        throw new IllegalArgumentException(name + " must be a JSON object (text, Map or ObjectNode), but is a "
                + (value == null ? "null" : value.getClass().getName()));
    }

    /** The state on load: see the class rules. */
    static String onLoad(ObjectNode defaults, String stored, ObjectNode call, boolean overwrite) {
        ObjectNode out = MAPPER.createObjectNode();
        if (defaults != null) {
            out.setAll(defaults);
        }
        if (!(overwrite && call != null)) {
            out.setAll(parse(stored, "the stored session state"));
        }
        if (call != null) {
            out.setAll(call);
        }
        return write(out);
    }

    /** The stored state with the keys of {@code updates} set. */
    static String merge(String stored, ObjectNode updates) {
        ObjectNode out = parse(stored, "the stored session state").deepCopy();
        out.setAll(updates);
        return write(out);
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write a session state", e);
        }
    }
}
