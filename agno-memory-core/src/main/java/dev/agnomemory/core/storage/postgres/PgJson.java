package dev.agnomemory.core.storage.postgres;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.storage.StorageException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code jsonb} columns: a session's data map ({@code {"key": "value"}}) and a message's tool calls
 * ({@code [{"id": ..., "name": ..., "arguments": ...}]}). Every string in them is in {@link PgText}'s stored form,
 * because {@code jsonb} rejects {@code \u0000} and unpaired surrogates.
 */
final class PgJson {

    private static final JsonFactory FACTORY = new JsonFactory();

    private PgJson() {
    }

    static String dataMap(Map<String, String> data) {
        return write(g -> {
            g.writeStartObject();
            for (Map.Entry<String, String> e : data.entrySet()) {
                g.writeStringField(PgText.encode(e.getKey()), PgText.encode(e.getValue()));
            }
            g.writeEndObject();
        });
    }

    static Map<String, String> readDataMap(String json) {
        return read(json, p -> {
            Map<String, String> out = new HashMap<>();
            expect(p.nextToken(), JsonToken.START_OBJECT, json);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = PgText.decode(p.currentName());
                expect(p.nextToken(), JsonToken.VALUE_STRING, json);
                out.put(key, PgText.decode(p.getText()));
            }
            return out;
        });
    }

    /** @return the JSON array of the calls, or null when there are none */
    static String toolCalls(List<ToolCall> calls) {
        if (calls.isEmpty()) {
            return null;
        }
        return write(g -> {
            g.writeStartArray();
            for (ToolCall c : calls) {
                g.writeStartObject();
                g.writeStringField("id", PgText.encode(c.id()));
                g.writeStringField("name", PgText.encode(c.name()));
                g.writeStringField("arguments", PgText.encode(c.arguments()));
                g.writeEndObject();
            }
            g.writeEndArray();
        });
    }

    static List<ToolCall> readToolCalls(String json) {
        if (json == null) {
            return List.of();
        }
        return read(json, p -> {
            List<ToolCall> out = new ArrayList<>();
            expect(p.nextToken(), JsonToken.START_ARRAY, json);
            while (p.nextToken() == JsonToken.START_OBJECT) {
                String id = null;
                String name = null;
                String arguments = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    String text = value == JsonToken.VALUE_NULL ? null : PgText.decode(p.getText());
                    switch (field) {
                        case "id" -> id = text;
                        case "name" -> name = text;
                        case "arguments" -> arguments = text;
                        default -> throw new StorageException("Unexpected field " + field + " in stored tool calls");
                    }
                }
                out.add(new ToolCall(id, name, arguments));
            }
            return out;
        });
    }

    private interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    private interface Reader<T> {
        T read(JsonParser p) throws IOException;
    }

    private static String write(Writer writer) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            writer.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static <T> T read(String json, Reader<T> reader) {
        try (JsonParser p = FACTORY.createParser(json)) {
            return reader.read(p);
        } catch (IOException e) {
            throw new StorageException("Stored JSON cannot be read: " + e.getMessage(), e);
        }
    }

    private static void expect(JsonToken actual, JsonToken expected, String json) {
        if (actual != expected) {
            throw new StorageException("Stored JSON is not what agno-memory writes (expected " + expected + ", found "
                    + actual + "): " + (json.length() > 200 ? json.substring(0, 200) + "..." : json));
        }
    }
}
