package dev.agnomemory.core;

import dev.agnomemory.core.internal.Require;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One interaction in a session: the user's message, the assistant's tool calls, the tool results and the final
 * answer. A run that was cut off (the process stopped before it completed) is kept with {@code completed == false}.
 *
 * @param runId the run's id, not blank
 * @param session the session the run belongs to, not null
 * @param sequence the run's position in its session, from 0
 * @param startedAt when the first message of the run was stored, not null
 * @param finishedAt when the run completed, empty while it is not completed
 * @param messages the run's messages in order; never null
 * @param completed whether the run was completed
 */
public record Run(String runId, SessionKey session, long sequence, Instant startedAt, Optional<Instant> finishedAt,
        List<Message> messages, boolean completed) {

    /** Validates the components and copies {@code messages}. */
    public Run {
        Require.notBlank(runId, "runId");
        Require.notNull(session, "session");
        Require.notNegative(sequence, "sequence");
        Require.notNull(startedAt, "startedAt");
        Require.notNull(finishedAt, "finishedAt");
        messages = Require.copyOf(messages, "messages");
        if (completed != finishedAt.isPresent()) {
            throw new IllegalArgumentException("finishedAt must be present exactly when the run is completed");
        }
    }
}
