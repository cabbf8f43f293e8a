package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.RunMetrics;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import java.time.Instant;
import java.util.Optional;

/**
 * The small, often read part of a session: what an append needs (its number, current run) and what a cache checks
 * (its version). The data map, the state and the summary live apart, in {@link SessionDetails}, so that appending a
 * message never reads or writes them.
 *
 * @param key the user and session id
 * @param sid the internal session number, never handed out twice in a store; keys the session's runs
 * @param agentId may be null
 * @param name may be null
 * @param version the session's version (see {@link Session#version()})
 * @param metrics the sum of the metrics of the finished runs
 * @param runCount the number of runs; the current run, if any, has sequence {@code runCount - 1}
 * @param currentRunId the id of the newest run, null when there is none
 * @param currentRunFinished whether the newest run is finished
 * @param currentRunMessages how many messages the newest run has
 * @param journalBytes how many journal bytes the session's records take, about: what deleting it frees
 */
record SessionHead(SessionKey key, long sid, String agentId, String name, Instant createdAt, Instant updatedAt,
        long version, RunMetrics metrics, long runCount, String currentRunId, boolean currentRunFinished,
        int currentRunMessages, long journalBytes) {

    static SessionHead created(SessionKey key, long sid, String agentId, Instant at, long version, long bytes) {
        return new SessionHead(key, sid, agentId, null, at, at, version, RunMetrics.NONE, 0, null, false, 0, bytes);
    }

    Session toSession(SessionDetails details) {
        return new Session(key, Optional.ofNullable(agentId), Optional.ofNullable(name), createdAt, updatedAt, version,
                runCount, metrics, Optional.ofNullable(details.summary()), details.state(), details.data());
    }

    /** This head after a change at {@code at} that took {@code newVersion} and {@code bytes} of journal. */
    SessionHead touched(Instant at, long newVersion, long bytes) {
        return new SessionHead(key, sid, agentId, name, createdAt, at, newVersion, metrics, runCount, currentRunId,
                currentRunFinished, currentRunMessages, journalBytes + bytes);
    }

    SessionHead withName(String newName, Instant at, long newVersion, long bytes) {
        return new SessionHead(key, sid, agentId, newName, createdAt, at, newVersion, metrics, runCount, currentRunId,
                currentRunFinished, currentRunMessages, journalBytes + bytes);
    }

    SessionHead withRunStarted(String runId, Instant at, long newVersion, long bytes) {
        return new SessionHead(key, sid, agentId, name, createdAt, at, newVersion, metrics, runCount + 1, runId, false,
                0, journalBytes + bytes);
    }

    SessionHead withMessagesAppended(int count, Instant at, long newVersion, long bytes) {
        return new SessionHead(key, sid, agentId, name, createdAt, at, newVersion, metrics, runCount, currentRunId,
                currentRunFinished, currentRunMessages + count, journalBytes + bytes);
    }

    /** Only the current run can be finished. */
    SessionHead withRunFinished(RunMetrics runMetrics, Instant at, long newVersion, long bytes) {
        return new SessionHead(key, sid, agentId, name, createdAt, at, newVersion, metrics.plus(runMetrics), runCount,
                currentRunId, true, currentRunMessages, journalBytes + bytes);
    }

    /** This head with {@code bytes} more journal bytes, nothing else changed (restored runs). */
    SessionHead plusBytes(long bytes) {
        return new SessionHead(key, sid, agentId, name, createdAt, updatedAt, version, metrics, runCount, currentRunId,
                currentRunFinished, currentRunMessages, journalBytes + bytes);
    }
}
