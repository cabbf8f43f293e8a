package dev.agnomemory.core;

import dev.agnomemory.core.internal.Require;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One interaction in a session: the user's message, the assistant's tool calls, the tool results and the final
 * answer, with how it ended and what it cost. A run that was cut off (the process stopped before it finished) is
 * kept with status {@link RunStatus#RUNNING}.
 *
 * @param runId the run's id, not blank
 * @param session the session the run belongs to, not null
 * @param sequence the run's position in its session, from 0
 * @param startedAt when the first message of the run was stored, not null
 * @param finishedAt when the run finished; present exactly when {@code status} is finished
 * @param messages the run's messages in order; never null
 * @param status how the run ended, or {@link RunStatus#RUNNING}
 * @param error the error's message, present exactly when {@code status} is {@link RunStatus#ERROR}
 * @param metrics what the run cost; {@link RunMetrics#NONE} when nothing was reported
 */
public record Run(String runId, SessionKey session, long sequence, Instant startedAt, Optional<Instant> finishedAt,
        List<Message> messages, RunStatus status, Optional<String> error, RunMetrics metrics) {

    /** Validates the components and copies {@code messages}. */
    public Run {
        Require.notBlank(runId, "runId");
        Require.notNull(session, "session");
        Require.notNegative(sequence, "sequence");
        Require.notNull(startedAt, "startedAt");
        Require.notNull(finishedAt, "finishedAt");
        messages = Require.copyOf(messages, "messages");
        Require.notNull(status, "status");
        Require.notNull(error, "error");
        Require.notNull(metrics, "metrics");
        if (status.isFinished() != finishedAt.isPresent()) {
            throw new IllegalArgumentException("finishedAt must be present exactly when the run is finished");
        }
        if ((status == RunStatus.ERROR) != error.isPresent()) {
            throw new IllegalArgumentException("error must be present exactly when the status is ERROR");
        }
    }

    /** @return whether the run completed with a final answer (only such runs go into the prompt's history) */
    public boolean completed() {
        return status == RunStatus.COMPLETED;
    }

    /** @return how long the run took, when it is finished */
    public Optional<Duration> duration() {
        return finishedAt.map(end -> Duration.between(startedAt, end));
    }
}
