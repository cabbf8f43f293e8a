package dev.agnomemory.langchain4j;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolMemoryId;
import java.util.List;

/**
 * Agno's {@code get_tool_call_history} tool: lets the model see which tools it called earlier in the
 * conversation, with what arguments and results.
 *
 * <p>Rules:
 * <ul>
 *   <li>It reads only the session of the call's memory id ({@link ToolMemoryId}).</li>
 *   <li>The answer is a JSON array, newest call first, of
 *       {@code {"tool_call_id", "tool_name", "arguments", "result", "is_error", "run_id", "created_at"}}.
 *       Only calls with a stored result are listed (not the call in progress, nor one cut off by a crash).</li>
 *   <li>{@code num_calls} is how many calls (default 3). A count below 1 or above 10,000 gets an error text back
 *       to the model; the call goes on.</li>
 * </ul>
 */
public final class ToolCallHistoryTool {

    static final int DEFAULT_CALLS = 3;
    static final int MAX_CALLS = 10_000;

    private final MemoryStorage storage;
    private final SessionKeyResolver resolver;

    /**
     * @param storage where the sessions are
     * @param resolver how the call's memory id becomes a session
     */
    public ToolCallHistoryTool(MemoryStorage storage, SessionKeyResolver resolver) {
        this.storage = Require.notNull(storage, "storage");
        this.resolver = Require.notNull(resolver, "resolver");
    }

    /**
     * @param memoryId the call's memory id, filled in by LangChain4j
     * @param numCalls how many calls; null for 3
     * @return the calls as JSON, newest first
     */
    @Tool(name = "get_tool_call_history", value = "Returns the tools you called earlier in this conversation, "
            + "newest first, with their arguments and results, as JSON.")
    public String getToolCallHistory(@ToolMemoryId Object memoryId,
            @P(name = "num_calls", description = "How many of the most recent tool calls to return (default 3).",
                    required = false) Integer numCalls) {
        int count = HistoryJson.checkCount(numCalls, "num_calls", DEFAULT_CALLS, MAX_CALLS);
        SessionKey key = resolver.resolve(memoryId);
        ArrayNode out = HistoryJson.array();
        // Read backwards in growing windows: tool calls are usually in the last few runs.
        long total = storage.session(key).map(s -> s.runCount()).orElse(0L);
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
        List<Message> messages = run.messages();
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
