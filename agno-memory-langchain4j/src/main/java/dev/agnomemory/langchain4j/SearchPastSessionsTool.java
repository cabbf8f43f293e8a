package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Agno v2's {@code search_past_sessions()} tool: lists the user's other sessions with short previews, so the model
 * can pick one to read whole with {@code read_past_session} ({@link ReadPastSessionTool}).
 *
 * <p>Rules:
 * <ul>
 *   <li>Only sessions of the user of the call's memory id are listed, whatever their agent (as in Agno); the tool
 *       takes no argument, so nothing can name another user.</li>
 *   <li>The session of the call itself is left out, and so are sessions without runs (one that was only named,
 *       for example).</li>
 *   <li>At most {@code numPastSessionsToSearch} sessions, most recently active first (by the time anything in the
 *       session last changed). Agno lists the most recently <i>created</i> first and counts the current session
 *       against the limit; here a session continued today comes before one started yesterday, and the limit is
 *       the number of sessions the model gets.</li>
 *   <li>The answer is a JSON array of {@code {"session_id", "name", "created_at", "updated_at", "runs"}} ({@code
 *       name} only when the session has one). {@code runs} previews the session's first
 *       {@code numPastSessionRunsInSearch} runs, whatever their status, as {@code {"user", "assistant"}}: the
 *       run's first user message and its final answer, each cut to {@value #PREVIEW_CHARACTERS} characters with
 *       {@code "..."} appended, as in Agno; a run with neither is left out, a missing half is {@code ""}.</li>
 *   <li>Arguments that are not a JSON object are answered to the model as an error; any other arguments are
 *       ignored.</li>
 * </ul>
 */
final class SearchPastSessionsTool implements AgnoTool {

    static final String NAME = "search_past_sessions";
    static final int PREVIEW_CHARACTERS = 200;

    private final MemoryStorage storage;
    private final SessionKeyResolver resolver;
    private final int sessions;
    private final int runsPerSession;

    SearchPastSessionsTool(MemoryStorage storage, SessionKeyResolver resolver, int sessions, int runsPerSession) {
        this.storage = storage;
        this.resolver = resolver;
        this.sessions = sessions;
        this.runsPerSession = runsPerSession;
    }

    @Override
    public ToolSpecification specification() {
        return ToolSpecification.builder().name(NAME)
                .description("Lists the user's previous chat sessions, most recently active first, with short "
                        + "previews of their first exchanges, as JSON (session_id, name, created_at, updated_at, "
                        + "runs of user/assistant text). Use read_past_session to read the full conversation of a "
                        + "specific session.")
                .parameters(JsonObjectSchema.builder().build())
                .build();
    }

    @Override
    public String run(ToolArguments arguments, InvocationContext context) {
        SessionKey current = resolver.resolve(context.chatMemoryId());
        ArrayNode out = HistoryJson.array();
        for (Session session : otherSessions(current)) {
            ObjectNode node = out.addObject();
            node.put("session_id", session.sessionId());
            session.name().ifPresent(name -> node.put("name", name));
            node.put("created_at", session.createdAt().toString());
            node.put("updated_at", session.updatedAt().toString());
            ArrayNode runs = node.putArray("runs");
            storage.runs(session.key()).limit(runsPerSession).forEach(run -> addPreview(runs, run));
        }
        return HistoryJson.write(out);
    }

    /** Pages through the user's sessions until enough others with runs are found. */
    private List<Session> otherSessions(SessionKey current) {
        List<Session> found = new ArrayList<>();
        Set<SessionKey> seen = new HashSet<>();
        int page = sessions == Integer.MAX_VALUE ? sessions : sessions + 1;
        for (int offset = 0; found.size() < sessions; offset += page) {
            List<Session> listed = storage.sessions(SessionFilter.byUser(current.userId()).offset(offset).limit(page));
            for (Session s : listed) {
                // a session updated while paging moves to the front and may be listed twice
                if (s.runCount() > 0 && !s.key().equals(current) && seen.add(s.key()) && found.size() < sessions) {
                    found.add(s);
                }
            }
            if (listed.size() < page || offset > Integer.MAX_VALUE - 2 * (long) page) {
                break;
            }
        }
        return found;
    }

    private static void addPreview(ArrayNode runs, Run run) {
        List<Message> messages = StoredMessages.effective(run.messages());
        String user = preview(StoredMessages.question(messages));
        String assistant = preview(StoredMessages.answer(messages));
        if (!user.isEmpty() || !assistant.isEmpty()) {
            ObjectNode node = runs.addObject();
            node.put("user", user);
            node.put("assistant", assistant);
        }
    }

    private static String preview(Optional<Message> message) {
        return message.map(m -> Previews.cut(m.content(), PREVIEW_CHARACTERS)).orElse("");
    }
}
