package dev.agnomemory.core.search;

import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;
import java.time.Instant;

/**
 * One stored message as the {@link ConversationIndex} sees it: where it is (user, session, run, position), who
 * wrote it, when, and its text.
 *
 * @param session the message's user and session, not null
 * @param runId the id of the message's run, not blank
 * @param position the message's position in its session, not null; identifies the message within the session
 * @param role who wrote it, not null
 * @param createdAt when it was written, not null
 * @param text the text that is searched and returned, not null (a blank text is not indexed)
 */
public record IndexedMessage(SessionKey session, String runId, MessagePosition position, Role role,
        Instant createdAt, String text) {

    /** Validates the components. */
    public IndexedMessage {
        Require.notNull(session, "session");
        Require.notBlank(runId, "runId");
        Require.notNull(position, "position");
        Require.notNull(role, "role");
        Require.notNull(createdAt, "createdAt");
        Require.notNull(text, "text");
    }

    /** @return the session's id (shorthand for {@code session().sessionId()}) */
    public String sessionId() {
        return session.sessionId();
    }

    @Override
    public String toString() {
        return "IndexedMessage[session=" + session + ", runId=" + runId + ", position=" + position + ", role=" + role
                + ", createdAt=" + createdAt + ", text=" + text.length() + " chars]";
    }
}
