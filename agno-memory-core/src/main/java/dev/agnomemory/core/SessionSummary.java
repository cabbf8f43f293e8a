package dev.agnomemory.core;

import dev.agnomemory.core.internal.Require;
import java.time.Instant;
import java.util.List;

/**
 * The summary of a session, as Agno's session summarizer writes it.
 *
 * @param summary the summary text, not null
 * @param topics the topics of the session, in the order given; never null
 * @param lastRunSequence the {@link Run#sequence()} of the newest run the summary covers ({@code -1} when it
 *     covers none); an incremental summarizer continues from the run after it
 * @param updatedAt when the summary was written, not null
 */
public record SessionSummary(String summary, List<String> topics, long lastRunSequence, Instant updatedAt) {

    /** Validates the components and copies {@code topics}. */
    public SessionSummary {
        Require.notNull(summary, "summary");
        topics = Require.copyOf(topics, "topics");
        if (lastRunSequence < -1) {
            throw new IllegalArgumentException("lastRunSequence must be -1 or greater, but is " + lastRunSequence);
        }
        Require.notNull(updatedAt, "updatedAt");
    }
}
