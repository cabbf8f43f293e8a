package dev.agnomemory.examples.inspector;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.storage.MemoryStorage;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Writes one session as JSON, field names in snake case as in Agno's tables. Runs are streamed from the store
 * page by page, so a long session is never held in memory at once. Texts are written exactly: characters that
 * UTF-8 cannot carry on their own (unpaired surrogates) are written as JSON escapes.
 *
 * <pre>{@code
 * {"user_id", "session_id", "agent_id", "created_at", "updated_at", "run_count",
 *  "summary": {"summary", "topics", "last_run_sequence", "updated_at"} | null,
 *  "data": {...},
 *  "runs": [{"run_id", "sequence", "started_at", "finished_at", "completed",
 *            "messages": [{"id", "role", "content", "tool_calls": [{"id", "name", "arguments"}],
 *                          "tool_call_id", "tool_name", "error", "created_at", "payload"}]}]}
 * }</pre>
 */
final class SessionJson {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    /** What was written. */
    record Written(long runs, long messages) {
    }

    private SessionJson() {
    }

    /**
     * @param storage the store holding the session
     * @param session the session
     * @param out where the JSON goes (UTF-8, pretty-printed, ending with a line break); not closed
     * @return how many runs and messages were written
     */
    static Written write(MemoryStorage storage, Session session, OutputStream out) throws IOException {
        long runs = 0;
        long messages = 0;
        try (JsonGenerator g = FACTORY.createGenerator(out, JsonEncoding.UTF8).useDefaultPrettyPrinter()) {
            g.writeStartObject();
            g.writeStringField("user_id", session.userId());
            g.writeStringField("session_id", session.sessionId());
            writeOptional(g, "agent_id", session.agentId());
            writeTime(g, "created_at", session.createdAt());
            writeTime(g, "updated_at", session.updatedAt());
            g.writeNumberField("run_count", session.runCount());
            g.writeFieldName("summary");
            if (session.summary().isPresent()) {
                writeSummary(g, session.summary().get());
            } else {
                g.writeNull();
            }
            g.writeObjectFieldStart("data");
            for (Map.Entry<String, String> e : new TreeMap<>(session.data()).entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
            g.writeArrayFieldStart("runs");
            try (Stream<Run> stream = storage.runs(session.key())) {
                Iterator<Run> it = stream.iterator();
                while (it.hasNext()) {
                    Run run = it.next();
                    writeRun(g, run);
                    runs++;
                    messages += run.messages().size();
                }
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeRaw('\n');
        }
        out.flush();
        return new Written(runs, messages);
    }

    private static void writeSummary(JsonGenerator g, SessionSummary s) throws IOException {
        g.writeStartObject();
        g.writeStringField("summary", s.summary());
        g.writeArrayFieldStart("topics");
        for (String topic : s.topics()) {
            g.writeString(topic);
        }
        g.writeEndArray();
        g.writeNumberField("last_run_sequence", s.lastRunSequence());
        writeTime(g, "updated_at", s.updatedAt());
        g.writeEndObject();
    }

    private static void writeRun(JsonGenerator g, Run run) throws IOException {
        g.writeStartObject();
        g.writeStringField("run_id", run.runId());
        g.writeNumberField("sequence", run.sequence());
        writeTime(g, "started_at", run.startedAt());
        writeOptional(g, "finished_at", run.finishedAt().map(Instant::toString));
        g.writeBooleanField("completed", run.completed());
        g.writeArrayFieldStart("messages");
        for (Message m : run.messages()) {
            writeMessage(g, m);
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static void writeMessage(JsonGenerator g, Message m) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", m.id());
        g.writeStringField("role", m.role().name().toLowerCase(Locale.ROOT));
        g.writeStringField("content", m.content());
        g.writeArrayFieldStart("tool_calls");
        for (ToolCall call : m.toolCalls()) {
            g.writeStartObject();
            g.writeStringField("id", call.id());
            g.writeStringField("name", call.name());
            g.writeStringField("arguments", call.arguments());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeStringField("tool_call_id", m.toolCallId());
        g.writeStringField("tool_name", m.toolName());
        g.writeBooleanField("error", m.error());
        writeTime(g, "created_at", m.createdAt());
        g.writeStringField("payload", m.payload());
        g.writeEndObject();
    }

    /** Times in full precision (ISO-8601, UTC), so an export keeps what the store has. */
    private static void writeTime(JsonGenerator g, String field, Instant instant) throws IOException {
        g.writeStringField(field, instant.toString());
    }

    private static void writeOptional(JsonGenerator g, String field, Optional<String> value) throws IOException {
        g.writeStringField(field, value.orElse(null));
    }
}
