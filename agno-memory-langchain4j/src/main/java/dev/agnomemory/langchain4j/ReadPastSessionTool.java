package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import java.util.Locale;
import java.util.Optional;

/**
 * Agno v2's {@code read_past_session(session_id, num_runs)} tool: the conversation of one of the user's sessions,
 * usually one that {@code search_past_sessions} ({@link SearchPastSessionsTool}) listed.
 *
 * <p>Rules:
 * <ul>
 *   <li>{@code session_id} is looked up among the sessions of the user of the call's memory id only: a session of
 *       another user, a missing session and a session without runs all get the same answer,
 *       {@value #NOT_FOUND} (it does not repeat the id), so the model cannot even learn whether another user's
 *       session exists. The id
 *       is taken exactly as sent; when nothing matches and it has surrounding whitespace, the stripped id is tried
 *       too.</li>
 *   <li>The answer is a JSON object {@code {"session_id", "name", "created_at", "updated_at", "runs"}} ({@code name}
 *       only when the session has one), each run {@code {"run_id", "started_at", "status", "messages"}} and each
 *       message {@code {"role", "content", "created_at"}}: the user's messages and the assistant's messages with
 *       text, in order (tool calls, tool results and system messages are left out, as in Agno).</li>
 *   <li>{@code num_runs} is how many runs, from the start of the session (as Agno's {@code runs[:num_runs]});
 *       without it, all. Every run counts, whatever its status (it is in the answer).</li>
 *   <li>A missing, blank or non-text {@code session_id}, and a {@code num_runs} below 1, above {@value #MAX_RUNS}
 *       or not a whole number, are answered to the model as an error; the call goes on.</li>
 *   <li>The current session can be read too: it is the user's own.</li>
 * </ul>
 */
final class ReadPastSessionTool implements AgnoTool {

    static final String NAME = "read_past_session";
    static final int MAX_RUNS = 100_000;
    static final String NOT_FOUND = "Session not found: the user has no session with this id. Use "
            + "search_past_sessions to list the sessions you can read.";

    private final MemoryStorage storage;
    private final SessionKeyResolver resolver;

    ReadPastSessionTool(MemoryStorage storage, SessionKeyResolver resolver) {
        this.storage = storage;
        this.resolver = resolver;
    }

    @Override
    public ToolSpecification specification() {
        return ToolSpecification.builder().name(NAME)
                .description("Reads the full conversation of one of the user's previous sessions, as JSON (its runs "
                        + "with the user's and your messages). Use search_past_sessions first to find relevant "
                        + "sessions.")
                .parameters(JsonObjectSchema.builder()
                        .addStringProperty("session_id", "The session ID to read (from search_past_sessions).")
                        .addIntegerProperty("num_runs", "How many runs to read, from the start of the session. "
                                + "Omit it to read all runs.")
                        .required("session_id").build())
                .build();
    }

    @Override
    public String run(ToolArguments arguments, InvocationContext context) {
        String sessionId = arguments.exactText("session_id");
        int count = arguments.count("num_runs", Integer.MAX_VALUE, MAX_RUNS);
        String userId = resolver.resolve(context.chatMemoryId()).userId();
        Optional<Session> session = find(userId, sessionId);
        if (session.isEmpty()) {
            return NOT_FOUND;
        }
        Session s = session.get();
        ObjectNode out = HistoryJson.object();
        out.put("session_id", s.sessionId());
        s.name().ifPresent(name -> out.put("name", name));
        out.put("created_at", s.createdAt().toString());
        out.put("updated_at", s.updatedAt().toString());
        ArrayNode runs = out.putArray("runs");
        storage.runs(s.key()).limit(count).forEach(run -> add(runs, run));
        return HistoryJson.write(out);
    }

    /** Only the caller's user's sessions are looked at: the user id never comes from the model. */
    private Optional<Session> find(String userId, String sessionId) {
        Optional<Session> exact = storage.session(new SessionKey(userId, sessionId)).filter(s -> s.runCount() > 0);
        String stripped = sessionId.strip();
        if (exact.isPresent() || stripped.equals(sessionId)) {
            return exact;
        }
        return storage.session(new SessionKey(userId, stripped)).filter(s -> s.runCount() > 0);
    }

    private static void add(ArrayNode runs, Run run) {
        ObjectNode node = runs.addObject();
        node.put("run_id", run.runId());
        node.put("started_at", run.startedAt().toString());
        node.put("status", run.status().name().toLowerCase(Locale.ROOT));
        ArrayNode messages = node.putArray("messages");
        for (Message m : StoredMessages.effective(run.messages())) {
            boolean said = m.role() == Role.USER || m.role() == Role.ASSISTANT;
            if (said && !m.content().isEmpty()) {
                ObjectNode message = messages.addObject();
                message.put("role", m.role() == Role.USER ? "user" : "assistant");
                message.put("content", m.content());
                message.put("created_at", m.createdAt().toString());
            }
        }
    }
}
