package dev.agnomemory.examples.inspector;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.MemoryStorage;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
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
 * {"user_id", "session_id", "agent_id", "session_name", "created_at", "updated_at", "version", "run_count",
 *  "metrics": {"model", "input_tokens", "output_tokens", "total_tokens", "model_calls", "tool_calls",
 *              "finish_reason"},
 *  "summary": {"summary", "topics", "last_run_sequence", "updated_at"} | null,
 *  "session_state": {...}, "data": {...},
 *  "runs": [{"run_id", "sequence", "started_at", "finished_at", "status", "error", "duration_ms", "completed",
 *            "metrics": {...},
 *            "messages": [{"id", "role", "content", "tool_calls": [{"id", "name", "arguments"}],
 *                          "tool_call_id", "tool_name", "error", "created_at", "payload"}]}]}
 * }</pre>
 *
 * <p>The listings' {@code --json} forms write the same session header without runs, and memories and memory
 * changes as {@link #writeMemory} and {@link #writeMemoryChange} say.
 */
final class SessionJson {

    static final JsonFactory FACTORY = JsonFactory.builder()
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
        try (JsonGenerator g = generator(out)) {
            g.writeStartObject();
            writeSessionFields(g, session);
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

    /** A pretty-printing UTF-8 generator that leaves {@code out} open. */
    static JsonGenerator generator(OutputStream out) throws IOException {
        return FACTORY.createGenerator(out, JsonEncoding.UTF8).useDefaultPrettyPrinter();
    }

    /** The session's own fields (everything but its runs), inside an object the caller opened. */
    static void writeSessionFields(JsonGenerator g, Session session) throws IOException {
        g.writeStringField("user_id", session.userId());
        g.writeStringField("session_id", session.sessionId());
        writeOptional(g, "agent_id", session.agentId());
        writeOptional(g, "session_name", session.name());
        writeTime(g, "created_at", session.createdAt());
        writeTime(g, "updated_at", session.updatedAt());
        g.writeNumberField("version", session.version());
        g.writeNumberField("run_count", session.runCount());
        writeMetrics(g, session.metrics());
        g.writeFieldName("summary");
        if (session.summary().isPresent()) {
            writeSummary(g, session.summary().get());
        } else {
            g.writeNull();
        }
        g.writeFieldName("session_state");
        g.writeRawValue(session.state());
        g.writeObjectFieldStart("data");
        for (Map.Entry<String, String> e : new TreeMap<>(session.data()).entrySet()) {
            g.writeStringField(e.getKey(), e.getValue());
        }
        g.writeEndObject();
    }

    static void writeMetrics(JsonGenerator g, RunMetrics m) throws IOException {
        g.writeObjectFieldStart("metrics");
        writeOptional(g, "model", m.model());
        g.writeNumberField("input_tokens", m.inputTokens());
        g.writeNumberField("output_tokens", m.outputTokens());
        g.writeNumberField("total_tokens", m.totalTokens());
        g.writeNumberField("model_calls", m.modelCalls());
        g.writeNumberField("tool_calls", m.toolCalls());
        writeOptional(g, "finish_reason", m.finishReason());
        g.writeEndObject();
    }

    /**
     * {@code {"memory_id", "user_id", "agent_id", "memory", "topics", "input", "created_at", "updated_at"}}
     */
    static void writeMemory(JsonGenerator g, UserMemory m) throws IOException {
        g.writeStartObject();
        g.writeStringField("memory_id", m.memoryId());
        g.writeStringField("user_id", m.userId());
        writeOptional(g, "agent_id", m.agentId());
        g.writeStringField("memory", m.memory());
        writeStrings(g, "topics", m.topics());
        g.writeStringField("input", m.input());
        writeTime(g, "created_at", m.createdAt());
        writeTime(g, "updated_at", m.updatedAt());
        g.writeEndObject();
    }

    /**
     * {@code {"memory_id", "user_id", "event" (ADD, UPDATE, DELETE as Mem0 names them), "previous_memory",
     * "previous_topics", "new_memory", "new_topics", "at", "cause": {"source", "session_id", "run_id"}}}
     */
    static void writeMemoryChange(JsonGenerator g, MemoryChange c) throws IOException {
        g.writeStartObject();
        g.writeStringField("memory_id", c.memoryId());
        g.writeStringField("user_id", c.userId());
        g.writeStringField("event", event(c.kind()));
        writeOptional(g, "previous_memory", c.previousMemory());
        writeStrings(g, "previous_topics", c.previousTopics());
        writeOptional(g, "new_memory", c.newMemory());
        writeStrings(g, "new_topics", c.newTopics());
        writeTime(g, "at", c.at());
        g.writeObjectFieldStart("cause");
        g.writeStringField("source", c.cause().source().name().toLowerCase(Locale.ROOT));
        writeOptional(g, "session_id", c.cause().sessionId());
        writeOptional(g, "run_id", c.cause().runId());
        g.writeEndObject();
        g.writeEndObject();
    }

    /** Mem0's names for the kinds of memory change. */
    static String event(MemoryChange.Kind kind) {
        return switch (kind) {
            case ADDED -> "ADD";
            case UPDATED -> "UPDATE";
            case DELETED -> "DELETE";
        };
    }

    private static void writeStrings(JsonGenerator g, String field, List<String> values) throws IOException {
        g.writeArrayFieldStart(field);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
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
        g.writeStringField("status", run.status().name().toLowerCase(Locale.ROOT));
        writeOptional(g, "error", run.error());
        g.writeFieldName("duration_ms");
        if (run.duration().isPresent()) {
            g.writeNumber(run.duration().get().toMillis());
        } else {
            g.writeNull();
        }
        g.writeBooleanField("completed", run.completed());
        writeMetrics(g, run.metrics());
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
