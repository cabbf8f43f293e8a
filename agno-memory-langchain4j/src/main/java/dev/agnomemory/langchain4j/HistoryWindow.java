package dev.agnomemory.langchain4j;

import dev.agnomemory.core.internal.Require;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.TokenCountEstimator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which earlier messages of a session go into the prompt: Agno's {@code add_history_to_context},
 * {@code num_history_runs} (here {@code numHistoryResponses}, its v1 name), {@code num_history_messages} and
 * {@code max_tool_calls_from_history}, plus an optional token budget.
 *
 * <p>Rules, in the order they apply:
 * <ul>
 *   <li>With history off, nothing earlier is sent.</li>
 *   <li>Only completed runs are candidates (a run cut off, failed or cancelled stays in storage but never reaches
 *       the prompt), and only whole ones: a run is left out when it does not start with a user message, when a
 *       tool result has no request before it, or when a tool request has no result. System messages inside runs
 *       are not history (the memory sends its one system message first).</li>
 *   <li><b>By runs</b> (default): the last {@code numHistoryResponses} runs.</li>
 *   <li><b>By messages</b> ({@code numHistoryMessages > 0}): the last {@code numHistoryMessages} messages of those
 *       runs, then messages at the start are dropped until the history starts with a user message; so a tool
 *       exchange is never split (never a tool result without its call) and the history never starts with an
 *       assistant message. At most that many messages, maybe fewer.</li>
 *   <li><b>Tool calls</b> ({@code maxToolCallsFromHistory > 0}): only the newest that many tool calls keep their
 *       request and result; older results are dropped, and so are older requests from the assistant messages that
 *       made them (an assistant message left with neither text nor requests is dropped). Storage keeps
 *       everything.</li>
 *   <li><b>Token budget</b>: whole runs (by messages: messages, keeping the user-message start) are dropped, oldest
 *       first, until the history fits; the newest run is dropped too if it alone is over the budget.</li>
 * </ul>
 *
 * @param addHistory whether earlier runs are sent at all
 * @param numHistoryResponses how many completed runs at most, greater than 0 (by runs)
 * @param numHistoryMessages how many messages at most, or 0 to count by runs
 * @param maxToolCallsFromHistory how many tool calls keep their exchange, or 0 for all
 * @param maxHistoryTokens the token budget for the history, or 0 for none
 * @param tokenCountEstimator counts tokens for the budget; required when {@code maxHistoryTokens > 0}
 */
record HistoryWindow(boolean addHistory, int numHistoryResponses, int numHistoryMessages,
        int maxToolCallsFromHistory, int maxHistoryTokens, TokenCountEstimator tokenCountEstimator) {

    /** Agno's default: history on, the last 3 runs, every tool call, no token budget. */
    static final HistoryWindow DEFAULT = new HistoryWindow(true, 3, 0, 0, 0, null);

    /** Validates the components. */
    HistoryWindow {
        Require.positive(numHistoryResponses, "numHistoryResponses");
        Require.notNegative(numHistoryMessages, "numHistoryMessages");
        Require.notNegative(maxToolCallsFromHistory, "maxToolCallsFromHistory");
        Require.notNegative(maxHistoryTokens, "maxHistoryTokens");
        if (maxHistoryTokens > 0 && tokenCountEstimator == null) {
            throw new IllegalArgumentException("tokenCountEstimator must not be null when maxHistoryTokens is set");
        }
    }

    /** @return how many completed runs a session's memory keeps loaded for this window */
    int capacity() {
        // By messages: every whole run has at least one message, so this many runs hold enough.
        return numHistoryMessages > 0 ? numHistoryMessages : numHistoryResponses;
    }

    /**
     * Picks the history for the prompt.
     *
     * @param completedRuns the messages of the session's last completed runs, oldest first
     * @return the messages to send, oldest first
     */
    List<ChatMessage> select(List<List<ChatMessage>> completedRuns) {
        if (!addHistory) {
            return List.of();
        }
        List<List<ChatMessage>> runs = new ArrayList<>();
        int from = numHistoryMessages > 0 ? 0 : Math.max(0, completedRuns.size() - numHistoryResponses);
        for (List<ChatMessage> run : completedRuns.subList(from, completedRuns.size())) {
            List<ChatMessage> withoutSystem = run.stream().filter(m -> !(m instanceof SystemMessage)).toList();
            if (isWhole(withoutSystem)) {
                runs.add(withoutSystem);
            }
        }
        List<ChatMessage> history = flatten(runs);
        if (numHistoryMessages > 0) {
            history = startAtUserMessage(history.subList(Math.max(0, history.size() - numHistoryMessages),
                    history.size()));
        }
        if (maxToolCallsFromHistory > 0) {
            history = keepNewestToolCalls(history, maxToolCallsFromHistory);
        }
        if (maxHistoryTokens > 0) {
            history = withinBudget(history);
        }
        return history;
    }

    /** Drops messages at the start until a user message comes: never a result without its call. */
    private static List<ChatMessage> startAtUserMessage(List<ChatMessage> messages) {
        int start = 0;
        while (start < messages.size() && !(messages.get(start) instanceof UserMessage)) {
            start++;
        }
        return new ArrayList<>(messages.subList(start, messages.size()));
    }

    /** Agno's {@code max_tool_calls_from_history}: the newest {@code max} calls keep request and result. */
    static List<ChatMessage> keepNewestToolCalls(List<ChatMessage> history, int max) {
        Set<String> kept = new HashSet<>();
        int count = 0;
        for (int i = history.size() - 1; i >= 0; i--) {
            if (history.get(i) instanceof AiMessage ai && ai.hasToolExecutionRequests()) {
                List<ToolExecutionRequest> requests = ai.toolExecutionRequests();
                for (int r = requests.size() - 1; r >= 0 && count < max; r--, count++) {
                    kept.add(String.valueOf(requests.get(r).id()));
                }
            }
        }
        List<ChatMessage> out = new ArrayList<>(history.size());
        for (ChatMessage m : history) {
            if (m instanceof ToolExecutionResultMessage result) {
                if (kept.contains(String.valueOf(result.id()))) {
                    out.add(m);
                }
            } else if (m instanceof AiMessage ai && ai.hasToolExecutionRequests()) {
                List<ToolExecutionRequest> keep = ai.toolExecutionRequests().stream()
                        .filter(r -> kept.contains(String.valueOf(r.id()))).toList();
                if (keep.size() == ai.toolExecutionRequests().size()) {
                    out.add(m);
                } else if (!keep.isEmpty()) {
                    out.add(ai.toBuilder().toolExecutionRequests(keep).build());
                } else if (ai.text() != null && !ai.text().isBlank()) {
                    out.add(ai.toBuilder().toolExecutionRequests(List.of()).build());
                }
            } else {
                out.add(m);
            }
        }
        return out;
    }

    /** Drops the oldest exchanges (from one user message to the next) until the history fits the budget. */
    private List<ChatMessage> withinBudget(List<ChatMessage> history) {
        List<ChatMessage> out = history;
        while (!out.isEmpty() && tokenCountEstimator.estimateTokenCountInMessages(out) > maxHistoryTokens) {
            int next = 1;
            while (next < out.size() && !(out.get(next) instanceof UserMessage)) {
                next++;
            }
            out = out.subList(next, out.size());
        }
        return new ArrayList<>(out);
    }

    /** Whether a run can be sent as it is (see the class rules). */
    static boolean isWhole(List<ChatMessage> run) {
        if (run.isEmpty() || !(run.get(0) instanceof UserMessage)) {
            return false;
        }
        Set<String> open = new HashSet<>();
        for (ChatMessage m : run) {
            if (m instanceof AiMessage ai && ai.hasToolExecutionRequests()) {
                if (!open.isEmpty()) {
                    return false; // a new request before the previous ones were answered
                }
                ai.toolExecutionRequests().forEach(r -> open.add(String.valueOf(r.id())));
            } else if (m instanceof ToolExecutionResultMessage result) {
                if (!open.remove(String.valueOf(result.id()))) {
                    return false;
                }
            } else if (!open.isEmpty()) {
                return false; // something else came before every request was answered
            }
        }
        return open.isEmpty();
    }

    private static List<ChatMessage> flatten(List<List<ChatMessage>> runs) {
        List<ChatMessage> out = new ArrayList<>();
        runs.forEach(out::addAll);
        return out;
    }
}
