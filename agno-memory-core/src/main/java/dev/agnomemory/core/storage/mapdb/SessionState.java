package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A session as the index keeps it: the public fields plus the internal number that keys its runs and messages,
 * and the state of its current run, so an append needs no other read.
 *
 * @param sid the internal session number
 * @param agentId may be null
 * @param summary may be null
 * @param runCount the number of runs; the current run, if any, has sequence {@code runCount - 1}
 * @param currentRunId the id of the newest run, null when there is none
 * @param currentRunCompleted whether the newest run is completed
 * @param currentRunMessages how many messages the newest run has
 */
record SessionState(long sid, String agentId, Instant createdAt, Instant updatedAt, Map<String, String> data,
        SessionSummary summary, long runCount, String currentRunId, boolean currentRunCompleted,
        int currentRunMessages) {

    SessionState {
        data = Map.copyOf(data);
    }

    static SessionState created(long sid, String agentId, Instant at) {
        return new SessionState(sid, agentId, at, at, Map.of(), null, 0, null, false, 0);
    }

    Session toSession(SessionKey key) {
        return new Session(key, Optional.ofNullable(agentId), createdAt, updatedAt, runCount,
                Optional.ofNullable(summary), data);
    }

    SessionState withData(Map<String, String> newData, Instant at) {
        return new SessionState(sid, agentId, createdAt, at, newData, summary, runCount, currentRunId,
                currentRunCompleted, currentRunMessages);
    }

    SessionState withSummary(SessionSummary newSummary, Instant at) {
        return new SessionState(sid, agentId, createdAt, at, data, newSummary, runCount, currentRunId,
                currentRunCompleted, currentRunMessages);
    }

    SessionState withRunStarted(String runId, Instant at) {
        return new SessionState(sid, agentId, createdAt, at, data, summary, runCount + 1, runId, false, 0);
    }

    SessionState withMessageAppended(Instant at) {
        return new SessionState(sid, agentId, createdAt, at, data, summary, runCount, currentRunId,
                currentRunCompleted, currentRunMessages + 1);
    }

    SessionState withRunCompleted(Instant at) {
        return new SessionState(sid, agentId, createdAt, at, data, summary, runCount, currentRunId, true,
                currentRunMessages);
    }
}
