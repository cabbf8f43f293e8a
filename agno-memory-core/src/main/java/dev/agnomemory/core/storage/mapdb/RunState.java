package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.RunStatus;
import java.time.Instant;

/**
 * A run's header as the index keeps it; its messages are stored under their own keys.
 *
 * @param finishedAt null while the run is running
 * @param error null unless the status is {@link RunStatus#ERROR}
 */
record RunState(String runId, Instant startedAt, Instant finishedAt, RunStatus status, String error,
        RunMetrics metrics) {

    static RunState started(String runId, Instant at) {
        return new RunState(runId, at, null, RunStatus.RUNNING, null, RunMetrics.NONE);
    }

    RunState finished(RunOutcome outcome, Instant at) {
        return new RunState(runId, startedAt, at, outcome.status(), outcome.error().orElse(null), outcome.metrics());
    }
}
