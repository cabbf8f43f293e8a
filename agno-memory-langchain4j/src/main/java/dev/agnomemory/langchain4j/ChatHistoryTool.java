package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolMemoryId;
import java.util.List;
import java.util.stream.Stream;

/**
 * Agno's {@code get_chat_history} tool: lets the model read the conversation's earlier exchanges from storage,
 * beyond what the history window put in the prompt.
 *
 * <p>Rules:
 * <ul>
 *   <li>It reads only the session of the call's memory id ({@link ToolMemoryId}); no argument can name another
 *       session or user.</li>
 *   <li>The answer is a JSON array of messages, oldest first, in user/assistant pairs: for each run its user
 *       message and its final answer, each {@code {"role", "content", "run_id", "created_at"}}. Only completed
 *       runs count: the call in progress and runs cut off by a crash have no answer to pair.</li>
 *   <li>{@code num_chats} is how many of the last pairs; without it, the whole session.</li>
 *   <li>A count below 1 or above 100,000 is answered with an error text for the model; the call goes on. A value
 *       that is not a number gets LangChain4j's argument error text back to the model, likewise.</li>
 * </ul>
 * Register it with {@code AiServices.builder(...).tools(provider.chatHistoryTool())}, or let
 * {@link AgnoChatMemoryProvider#attachTo} do it.
 */
public final class ChatHistoryTool {

    static final int MAX_CHATS = 100_000;

    private final MemoryStorage storage;
    private final SessionKeyResolver resolver;

    /**
     * @param storage where the sessions are
     * @param resolver how the call's memory id becomes a session
     */
    public ChatHistoryTool(MemoryStorage storage, SessionKeyResolver resolver) {
        this.storage = Require.notNull(storage, "storage");
        this.resolver = Require.notNull(resolver, "resolver");
    }

    /**
     * @param memoryId the call's memory id, filled in by LangChain4j
     * @param numChats how many of the last exchanges; null for all
     * @return the exchanges as JSON
     */
    @Tool(name = "get_chat_history", value = "Returns the chat history of this conversation between you and the "
            + "user, as a JSON list of messages, oldest first. Use it when the user refers to something said "
            + "earlier that is not in the messages you can see.")
    public String getChatHistory(@ToolMemoryId Object memoryId,
            @P(name = "num_chats", description = "How many of the most recent user/assistant exchanges to return. "
                    + "Omit it to get the whole conversation.", required = false) Integer numChats) {
        int count = HistoryJson.checkCount(numChats, "num_chats", Integer.MAX_VALUE, MAX_CHATS);
        SessionKey key = resolver.resolve(memoryId);
        Stream<Run> runs = count == Integer.MAX_VALUE ? storage.runs(key).filter(Run::completed)
                : storage.lastCompletedRuns(key, count).stream();
        ArrayNode out = HistoryJson.array();
        runs.forEach(run -> addPair(out, run));
        return HistoryJson.write(out);
    }

    private static void addPair(ArrayNode out, Run run) {
        List<Message> messages = run.messages();
        messages.stream().filter(m -> m.role() == Role.USER && !m.content().isEmpty()).findFirst()
                .ifPresent(m -> add(out, "user", m, run));
        for (int i = messages.size() - 1; i >= 0; i--) {
            Message m = messages.get(i);
            if (m.role() == Role.ASSISTANT && m.toolCalls().isEmpty()) {
                add(out, "assistant", m, run);
                break;
            }
        }
    }

    private static void add(ArrayNode out, String role, Message m, Run run) {
        ObjectNode node = out.addObject();
        node.put("role", role);
        node.put("content", m.content());
        node.put("run_id", run.runId());
        node.put("created_at", m.createdAt().toString());
    }
}
