package dev.agnomemory.core.storage.mapdb;

import java.time.Instant;

/**
 * A run's header as the index keeps it; its messages are stored under their own keys.
 *
 * @param finishedAt null while the run is not completed
 */
record RunState(String runId, Instant startedAt, Instant finishedAt) {

    RunState completed(Instant at) {
        return new RunState(runId, startedAt, at);
    }
}
