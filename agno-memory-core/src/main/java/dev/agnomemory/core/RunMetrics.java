package dev.agnomemory.core;

import java.util.Optional;

/**
 * What one run cost, as Agno's {@code RunMetrics}: token usage summed over the run's model calls (as the model's
 * responses report it), how many model and tool calls it made, the model's name and its last finish reason.
 * Zero means "none reported". A session's totals are the {@link #plus sum} of its runs' metrics.
 *
 * @param model the model's name as its responses report it, when known
 * @param inputTokens prompt tokens, summed over the run's model calls; not negative
 * @param outputTokens completion tokens, summed; not negative
 * @param totalTokens total tokens, summed; not negative
 * @param modelCalls how many model calls the run made; not negative
 * @param toolCalls how many tools the model called; not negative
 * @param finishReason the last model response's finish reason (for example {@code STOP}, {@code LENGTH}), when known
 */
public record RunMetrics(Optional<String> model, long inputTokens, long outputTokens, long totalTokens,
        int modelCalls, int toolCalls, Optional<String> finishReason) {

    /** Metrics of a run that reported nothing. */
    public static final RunMetrics NONE = new RunMetrics(Optional.empty(), 0, 0, 0, 0, 0, Optional.empty());

    /** Validates the components. */
    public RunMetrics {
        model = nonBlank(model, "model");
        finishReason = nonBlank(finishReason, "finishReason");
        requireNotNegative(inputTokens, "inputTokens");
        requireNotNegative(outputTokens, "outputTokens");
        requireNotNegative(totalTokens, "totalTokens");
        requireNotNegative(modelCalls, "modelCalls");
        requireNotNegative(toolCalls, "toolCalls");
    }

    /**
     * The metrics of a run whose calls together made these; the other's model and finish reason win when present
     * (they are the later call's).
     *
     * @param other metrics to add
     * @return the sum
     */
    public RunMetrics plus(RunMetrics other) {
        return new RunMetrics(other.model.isPresent() ? other.model : model, inputTokens + other.inputTokens,
                outputTokens + other.outputTokens, totalTokens + other.totalTokens, modelCalls + other.modelCalls,
                toolCalls + other.toolCalls, other.finishReason.isPresent() ? other.finishReason : finishReason);
    }

    private static Optional<String> nonBlank(Optional<String> value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null (use Optional.empty())");
        }
        return value.filter(v -> !v.isBlank());
    }

    private static void requireNotNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, but is " + value);
        }
    }
}
