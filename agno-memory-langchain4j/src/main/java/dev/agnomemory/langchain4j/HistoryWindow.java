package dev.agnomemory.langchain4j;

import dev.agnomemory.core.internal.Require;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.TokenCountEstimator;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which earlier runs of a session go into the prompt: Agno's {@code add_history_to_messages} and
 * {@code num_history_responses}, plus an optional token budget.
 *
 * <p>Rules:
 * <ul>
 *   <li>With history off, no earlier run is sent.</li>
 *   <li>Only completed runs are candidates (a run cut off by a crash stays in storage but never reaches the
 *       prompt), and only the last {@link #numHistoryResponses()} of them.</li>
 *   <li>Runs are taken whole or not at all: a run is left out when it does not start with a user message, when a
 *       tool result has no request before it, or when a tool request has no result. So the history never starts
 *       with an assistant message and never holds an orphan tool result or an unanswered tool call.</li>
 *   <li>With a token budget, whole runs are dropped oldest first until the history fits; the newest run is
 *       dropped too if it alone is over the budget.</li>
 *   <li>System messages inside runs are not part of the history (the memory sends its one system message
 *       first).</li>
 * </ul>
 *
 * @param addHistory whether earlier runs are sent at all
 * @param numHistoryResponses how many completed runs at most, greater than 0
 * @param maxHistoryTokens the token budget for the history, or 0 for none
 * @param tokenCountEstimator counts tokens for the budget; required when {@code maxHistoryTokens > 0}
 */
record HistoryWindow(boolean addHistory, int numHistoryResponses, int maxHistoryTokens,
        TokenCountEstimator tokenCountEstimator) {

    /** Agno's default: history on, the last 3 runs, no token budget. */
    static final HistoryWindow DEFAULT = new HistoryWindow(true, 3, 0, null);

    /** Validates the components. */
    HistoryWindow {
        Require.positive(numHistoryResponses, "numHistoryResponses");
        if (maxHistoryTokens < 0) {
            throw new IllegalArgumentException("maxHistoryTokens must not be negative, but is " + maxHistoryTokens);
        }
        if (maxHistoryTokens > 0 && tokenCountEstimator == null) {
            throw new IllegalArgumentException("tokenCountEstimator must not be null when maxHistoryTokens is set");
        }
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
        int from = Math.max(0, completedRuns.size() - numHistoryResponses);
        for (List<ChatMessage> run : completedRuns.subList(from, completedRuns.size())) {
            List<ChatMessage> withoutSystem = run.stream()
                    .filter(m -> !(m instanceof dev.langchain4j.data.message.SystemMessage)).toList();
            if (isWhole(withoutSystem)) {
                runs.add(withoutSystem);
            }
        }
        if (maxHistoryTokens > 0) {
            while (!runs.isEmpty() && tokenCountEstimator.estimateTokenCountInMessages(flatten(runs))
                    > maxHistoryTokens) {
                runs.remove(0);
            }
        }
        return flatten(runs);
    }

    /** @return how many completed runs a session's memory keeps loaded for this window */
    int capacity() {
        return numHistoryResponses;
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
