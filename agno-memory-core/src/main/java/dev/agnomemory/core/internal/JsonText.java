package dev.agnomemory.core.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;

/**
 * Checks JSON text that the core stores without interpreting it (a session's state). Uses Jackson's streaming
 * parser, so the check is the same grammar every adapter's JSON library reads. Not part of the public API.
 */
public final class JsonText {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private JsonText() {
    }

    /**
     * Requires {@code text} to be exactly one JSON object (whitespace around it allowed, no duplicate keys).
     *
     * @param text the text
     * @param name the parameter name used in the error message
     * @return the text
     * @throws IllegalArgumentException when it is null or not one JSON object, saying where it goes wrong
     */
    public static String requireObject(String text, String name) {
        Require.notNull(text, name);
        try (JsonParser p = FACTORY.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException(name + " must be a JSON object, but starts with "
                        + describe(p.currentToken()));
            }
            p.skipChildren();
            JsonToken after = p.nextToken();
            if (after != null) {
                throw new IllegalArgumentException(name + " must be one JSON object, but " + describe(after)
                        + " follows it");
            }
            return text;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(name + " is not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + " cannot be read as JSON: " + e.getMessage(), e);
        }
    }

    private static String describe(JsonToken token) {
        return token == null ? "nothing" : token.asString() != null ? "'" + token.asString() + "'"
                : token.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }
}
