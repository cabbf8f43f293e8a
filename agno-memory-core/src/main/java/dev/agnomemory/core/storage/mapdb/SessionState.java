package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.RunMetrics;
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
 * @param name may be null
 * @param version the session's version (see {@link Session#version()})
 * @param summary may be null
 * @param state the session state, a JSON object
 * @param metrics the sum of the metrics of the finished runs
 * @param runCount the number of runs; the current run, if any, has sequence {@code runCount - 1}
 * @param currentRunId the id of the newest run, null when there is none
 * @param currentRunFinished whether the newest run is finished
 * @param currentRunMessages how many messages the newest run has
 */
record SessionState(long sid, String agentId, String name, Instant createdAt, Instant updatedAt, long version,
        Map<String, String> data, String state, SessionSummary summary, RunMetrics metrics, long runCount,
        String currentRunId, boolean currentRunFinished, int currentRunMessages) {

    SessionState {
        data = Map.copyOf(data);
    }

    static SessionState created(long sid, String agentId, Instant at, long version) {
        return new SessionState(sid, agentId, null, at, at, version, Map.of(), Session.EMPTY_STATE, null,
                RunMetrics.NONE, 0, null, false, 0);
    }

    Session toSession(SessionKey key) {
        return new Session(key, Optional.ofNullable(agentId), Optional.ofNullable(name), createdAt, updatedAt, version,
                runCount, metrics, Optional.ofNullable(summary), state, data);
    }

    /** This state as changed at {@code at} to {@code newVersion}: every change goes through here. */
    private SessionState changed(Instant at, long newVersion, String newName, Map<String, String> newData,
            String newState, SessionSummary newSummary, RunMetrics newMetrics, long newRunCount, String runId,
            boolean runFinished, int runMessages) {
        return new SessionState(sid, agentId, newName, createdAt, at, newVersion, newData, newState, newSummary,
                newMetrics, newRunCount, runId, runFinished, runMessages);
    }

    SessionState withData(Map<String, String> newData, Instant at, long newVersion) {
        return changed(at, newVersion, name, newData, state, summary, metrics, runCount, currentRunId,
                currentRunFinished, currentRunMessages);
    }

    SessionState withState(String newState, Instant at, long newVersion) {
        return changed(at, newVersion, name, data, newState, summary, metrics, runCount, currentRunId,
                currentRunFinished, currentRunMessages);
    }

    SessionState withName(String newName, Instant at, long newVersion) {
        return changed(at, newVersion, newName, data, state, summary, metrics, runCount, currentRunId,
                currentRunFinished, currentRunMessages);
    }

    SessionState withSummary(SessionSummary newSummary, Instant at, long newVersion) {
        return changed(at, newVersion, name, data, state, newSummary, metrics, runCount, currentRunId,
                currentRunFinished, currentRunMessages);
    }

    SessionState withRunStarted(String runId, Instant at, long newVersion) {
        return changed(at, newVersion, name, data, state, summary, metrics, runCount + 1, runId, false, 0);
    }

    SessionState withMessageAppended(Instant at, long newVersion) {
        return changed(at, newVersion, name, data, state, summary, metrics, runCount, currentRunId,
                currentRunFinished, currentRunMessages + 1);
    }

    /** Only the current run can be finished. */
    SessionState withRunFinished(RunMetrics runMetrics, Instant at, long newVersion) {
        return changed(at, newVersion, name, data, state, summary, metrics.plus(runMetrics), runCount, currentRunId,
                true, currentRunMessages);
    }
}
