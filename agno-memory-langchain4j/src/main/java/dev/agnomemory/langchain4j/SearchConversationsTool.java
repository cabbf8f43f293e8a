package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.search.ConversationHit;
import dev.agnomemory.core.search.ConversationQuery;
import dev.agnomemory.core.search.ConversationSearch;
import dev.agnomemory.core.search.IndexedMessage;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code search_conversations(query, limit)} tool: the messages of all the user's sessions most related to a
 * query, by meaning and by words, through the {@link ConversationSearch} given to the provider.
 *
 * <p>Rules:
 * <ul>
 *   <li>The user is the one of the call's memory id; no argument can name another user or widen the search (the
 *       search itself filters by user inside the index).</li>
 *   <li>Every session of the user is searched, the current one included, except the run in progress (the call's
 *       invocation id, and the session's last run while it is running): its own messages (the question being
 *       answered) would otherwise be the best match of every query.</li>
 *   <li>The answer is a JSON array, best match first, of {@code {"session_id", "run_id", "created_at", "role",
 *       "content", "before", "after"}}; {@code before} and {@code after} hold the {@value #NEIGHBOURS} message(s)
 *       around it in its session as {@code {"role", "content", "created_at"}}. An empty array when nothing
 *       matches.</li>
 *   <li>{@code query} is required, at most {@value #MAX_QUERY_CHARACTERS} characters; {@code limit} is how many
 *       messages (default {@value #DEFAULT_LIMIT}, at most {@value #MAX_LIMIT}). Anything else is answered to the
 *       model as an error, and the call goes on.</li>
 * </ul>
 */
final class SearchConversationsTool implements AgnoTool {

    static final String NAME = "search_conversations";
    static final int DEFAULT_LIMIT = 5;
    static final int MAX_LIMIT = 50;
    static final int NEIGHBOURS = 1;
    static final int MAX_QUERY_CHARACTERS = 2_000;
    /** Extra hits asked for, to make up for the run in progress, whose messages are dropped. */
    private static final int SPARE = 4;

    private final ConversationSearch search;
    private final MemoryStorage storage;
    private final SessionKeyResolver resolver;

    SearchConversationsTool(ConversationSearch search, MemoryStorage storage, SessionKeyResolver resolver) {
        this.search = search;
        this.storage = storage;
        this.resolver = resolver;
    }

    @Override
    public ToolSpecification specification() {
        return ToolSpecification.builder().name(NAME)
                .description("Searches everything the user and you said in all your conversations with this user, "
                        + "by meaning and by words, and returns the most related messages as JSON, best match first "
                        + "(session_id, run_id, created_at, role, content, and the messages just before and after "
                        + "it). Use it when the user refers to something from an earlier conversation that you do "
                        + "not see.")
                .parameters(JsonObjectSchema.builder()
                        .addStringProperty("query", "What to look for, in the user's words or yours, e.g. 'the name "
                                + "of the hotel in Rome'.")
                        .addIntegerProperty("limit", "How many messages to return (default " + DEFAULT_LIMIT
                                + ", at most " + MAX_LIMIT + ").")
                        .required("query").build())
                .build();
    }

    @Override
    public String run(ToolArguments arguments, InvocationContext context) {
        String query = arguments.text("query");
        int length = query.codePointCount(0, query.length());
        if (length > MAX_QUERY_CHARACTERS) {
            throw new ToolInputException("query must be at most " + MAX_QUERY_CHARACTERS + " characters long, but "
                    + "was " + length + ". Call " + NAME + " again with a shorter query.");
        }
        int limit = arguments.count("limit", DEFAULT_LIMIT, MAX_LIMIT);
        SessionKey key = resolver.resolve(context.chatMemoryId());
        Set<String> currentRun = currentRun(key, context);
        List<ConversationHit> hits = search.search(new ConversationQuery(key.userId(), query, limit + SPARE,
                NEIGHBOURS, null));
        ArrayNode out = HistoryJson.array();
        for (ConversationHit hit : hits) {
            IndexedMessage m = hit.message();
            if (out.size() == limit) {
                break;
            }
            if (m.session().equals(key) && currentRun.contains(m.runId())) {
                continue;
            }
            ObjectNode node = out.addObject();
            node.put("session_id", m.sessionId());
            node.put("run_id", m.runId());
            node.put("created_at", m.createdAt().toString());
            node.put("role", role(m.role()));
            node.put("content", m.text());
            addAll(node.putArray("before"), hit.before());
            addAll(node.putArray("after"), hit.after());
        }
        return HistoryJson.write(out);
    }

    /**
     * The run in progress: named by the invocation id with the provider's listeners; without them, it is the
     * session's last run, still running.
     */
    private Set<String> currentRun(SessionKey key, InvocationContext context) {
        Set<String> ids = new HashSet<>(2);
        if (context.invocationId() != null) {
            ids.add(context.invocationId().toString());
        }
        storage.lastRuns(key, 1).stream().filter(run -> run.status() == RunStatus.RUNNING)
                .forEach(run -> ids.add(run.runId()));
        return ids;
    }

    private static void addAll(ArrayNode out, List<IndexedMessage> messages) {
        for (IndexedMessage m : messages) {
            ObjectNode node = out.addObject();
            node.put("role", role(m.role()));
            node.put("content", m.text());
            node.put("created_at", m.createdAt().toString());
        }
    }

    static String role(Role role) {
        return role == Role.USER ? "user" : "assistant";
    }
}
