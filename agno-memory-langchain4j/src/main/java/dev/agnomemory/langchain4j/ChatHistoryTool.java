package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import java.util.List;
import java.util.stream.Stream;

/**
 * Agno's {@code get_chat_history(num_chats)} tool: lets the model read the conversation's earlier exchanges from
 * storage, beyond what the history window put in the prompt.
 *
 * <p>Rules:
 * <ul>
 *   <li>It reads only the session of the call's memory id; no argument can name another session or user.</li>
 *   <li>The answer is a JSON array of messages, oldest first, in user/assistant pairs: for each run its user
 *       message and its final answer, each {@code {"role", "content", "run_id", "created_at"}}. Only completed
 *       runs count: the call in progress and runs cut off, failed or cancelled have no answer to pair.</li>
 *   <li>{@code num_chats} is how many of the last pairs; without it, the whole session.</li>
 *   <li>A count below 1 or above {@value #MAX_CHATS}, or not a number, is answered to the model as an error; the
 *       call goes on.</li>
 * </ul>
 */
final class ChatHistoryTool implements AgnoTool {

    static final String NAME = "get_chat_history";
    static final int MAX_CHATS = 100_000;

    private final MemoryStorage storage;
    private final SessionKeyResolver resolver;

    ChatHistoryTool(MemoryStorage storage, SessionKeyResolver resolver) {
        this.storage = storage;
        this.resolver = resolver;
    }

    @Override
    public ToolSpecification specification() {
        return ToolSpecification.builder().name(NAME)
                .description("Returns the chat history of this conversation between you and the user, as a JSON "
                        + "list of messages, oldest first. Use it when the user refers to something said earlier "
                        + "that is not in the messages you can see.")
                .parameters(JsonObjectSchema.builder().addIntegerProperty("num_chats", "How many of the most "
                        + "recent user/assistant exchanges to return. Omit it to get the whole conversation.")
                        .build())
                .build();
    }

    @Override
    public String run(ToolArguments arguments, InvocationContext context) {
        int count = arguments.count("num_chats", Integer.MAX_VALUE, MAX_CHATS);
        return read(resolver.resolve(context.chatMemoryId()), count);
    }

    /** The answer for the session, {@code count} pairs ({@code Integer.MAX_VALUE} for all). */
    String read(SessionKey key, int count) {
        Stream<Run> runs = count == Integer.MAX_VALUE ? storage.runs(key).filter(Run::completed)
                : storage.lastCompletedRuns(key, count).stream();
        ArrayNode out = HistoryJson.array();
        runs.forEach(run -> addPair(out, run));
        return HistoryJson.write(out);
    }

    private static void addPair(ArrayNode out, Run run) {
        List<Message> messages = StoredMessages.effective(run.messages());
        StoredMessages.question(messages).ifPresent(m -> add(out, "user", m, run));
        StoredMessages.answer(messages).ifPresent(m -> add(out, "assistant", m, run));
    }

    private static void add(ArrayNode out, String role, Message m, Run run) {
        ObjectNode node = out.addObject();
        node.put("role", role);
        node.put("content", m.content());
        node.put("run_id", run.runId());
        node.put("created_at", m.createdAt().toString());
    }
}
