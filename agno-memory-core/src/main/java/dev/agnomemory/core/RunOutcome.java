package dev.agnomemory.core;

import dev.agnomemory.core.internal.Require;
import java.util.Optional;

/**
 * How a run ends: what {@link dev.agnomemory.core.storage.MemoryStorage#finishRun} records.
 *
 * @param status {@link RunStatus#COMPLETED}, {@link RunStatus#ERROR} or {@link RunStatus#CANCELLED}
 * @param error the error's message, present only (and then not blank) for {@link RunStatus#ERROR}
 * @param metrics what the run cost; {@link RunMetrics#NONE} when nothing was reported
 */
public record RunOutcome(RunStatus status, Optional<String> error, RunMetrics metrics) {

    /** Validates the components. */
    public RunOutcome {
        Require.notNull(status, "status");
        Require.notNull(error, "error");
        Require.notNull(metrics, "metrics");
        if (!status.isFinished()) {
            throw new IllegalArgumentException("an outcome must finish the run, but status is " + status);
        }
        if (status == RunStatus.ERROR) {
            Require.notBlank(error.orElse(null), "error");
        } else if (error.isPresent()) {
            throw new IllegalArgumentException("only an ERROR outcome carries an error, not " + status);
        }
    }

    /** @return a completed run that reported no metrics */
    public static RunOutcome completed() {
        return completed(RunMetrics.NONE);
    }

    /**
     * @param metrics what the run cost
     * @return a completed run
     */
    public static RunOutcome completed(RunMetrics metrics) {
        return new RunOutcome(RunStatus.COMPLETED, Optional.empty(), metrics);
    }

    /**
     * @param error what went wrong, not blank
     * @param metrics what the run cost until then
     * @return a run that ended with an error
     */
    public static RunOutcome error(String error, RunMetrics metrics) {
        return new RunOutcome(RunStatus.ERROR, Optional.ofNullable(error), metrics);
    }

    /**
     * @param metrics what the run cost until it was stopped
     * @return a cancelled run
     */
    public static RunOutcome cancelled(RunMetrics metrics) {
        return new RunOutcome(RunStatus.CANCELLED, Optional.empty(), metrics);
    }
}
