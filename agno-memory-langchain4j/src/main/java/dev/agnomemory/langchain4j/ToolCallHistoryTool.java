package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import java.util.List;

/**
 * Agno's {@code get_tool_call_history(num_calls)} tool: lets the model see which tools it called earlier in the
 * conversation, with what arguments and results.
 *
 * <p>Rules:
 * <ul>
 *   <li>It reads only the session of the call's memory id.</li>
 *   <li>The answer is a JSON array, newest call first, of
 *       {@code {"tool_call_id", "tool_name", "arguments", "result", "is_error", "run_id", "created_at"}}.
 *       Only calls with a stored result are listed (not the call in progress, nor one cut off by a crash); runs
 *       that failed or were cancelled count, since their tools did run. A result that was replaced (rolled back)
 *       is listed as replaced.</li>
 *   <li>{@code num_calls} is how many calls (default {@value #DEFAULT_CALLS}); below 1, above
 *       {@value #MAX_CALLS} or not a number is answered to the model as an error, and the call goes on.</li>
 * </ul>
 */
final class ToolCallHistoryTool implements AgnoTool {

    static final String NAME = "get_tool_call_history";
    static final int DEFAULT_CALLS = 3;
    static final int MAX_CALLS = 10_000;

    private final MemoryStorage storage;
    private final SessionKeyResolver resolver;

    ToolCallHistoryTool(MemoryStorage storage, SessionKeyResolver resolver) {
        this.storage = storage;
        this.resolver = resolver;
    }

    @Override
    public ToolSpecification specification() {
        return ToolSpecification.builder().name(NAME)
                .description("Returns the tools you called earlier in this conversation, newest first, with their "
                        + "arguments and results, as JSON.")
                .parameters(JsonObjectSchema.builder().addIntegerProperty("num_calls",
                        "How many of the most recent tool calls to return (default 3).").build())
                .build();
    }

    @Override
    public String run(ToolArguments arguments, InvocationContext context) {
        int count = arguments.count("num_calls", DEFAULT_CALLS, MAX_CALLS);
        SessionKey key = resolver.resolve(context.chatMemoryId());
        ArrayNode out = HistoryJson.array();
        // Read backwards in growing windows: tool calls are usually in the last few runs.
        long total = storage.session(key).map(Session::runCount).orElse(0L);
        int window = 8;
        while (true) {
            out.removeAll();
            List<Run> runs = storage.lastRuns(key, window);
            for (int r = runs.size() - 1; r >= 0 && out.size() < count; r--) {
                addCallsNewestFirst(out, runs.get(r), count);
            }
            if (out.size() >= count || runs.size() >= total || window >= Integer.MAX_VALUE / 4) {
                break;
            }
            window *= 4;
        }
        return HistoryJson.write(out);
    }

    private static void addCallsNewestFirst(ArrayNode out, Run run, int count) {
        List<Message> messages = StoredMessages.effective(run.messages());
        for (int i = messages.size() - 1; i >= 0 && out.size() < count; i--) {
            Message m = messages.get(i);
            if (m.role() != Role.ASSISTANT) {
                continue;
            }
            List<ToolCall> calls = m.toolCalls();
            for (int c = calls.size() - 1; c >= 0 && out.size() < count; c--) {
                ToolCall call = calls.get(c);
                Message result = resultOf(messages, i, call);
                if (result == null) {
                    continue; // still running (this very call) or cut off by a crash: nothing to report
                }
                ObjectNode node = out.addObject();
                node.put("tool_call_id", call.id());
                node.put("tool_name", call.name());
                node.put("arguments", call.arguments());
                node.put("result", result.content());
                node.put("is_error", result.error());
                node.put("run_id", run.runId());
                node.put("created_at", m.createdAt().toString());
            }
        }
    }

    private static Message resultOf(List<Message> messages, int after, ToolCall call) {
        for (int i = after + 1; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (m.role() == Role.TOOL && call.id() != null && call.id().equals(m.toolCallId())) {
                return m;
            }
        }
        return null;
    }
}
