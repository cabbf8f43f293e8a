package dev.agnomemory.core.search;

import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;
import java.time.Instant;
import java.util.Optional;

/**
 * What a {@link ConversationIndex} recorded about one stored session when it last caught up with it: enough to
 * tell, by comparing with the storage's {@link dev.agnomemory.core.Session}, whether the session changed since and
 * where to resume.
 *
 * @param key the user and session, not null
 * @param version the session's {@link dev.agnomemory.core.Session#version()} when its messages were read, 0 or more
 * @param createdAt the session's {@link dev.agnomemory.core.Session#createdAt()}, not null: a session deleted and
 *     created again under the same key has another, so its old entries are not mistaken for its own
 * @param through the position of the last stored message that was read (indexed, or skipped because it is not
 *     searched); empty when the session had no messages
 */
public record IndexedSession(SessionKey key, long version, Instant createdAt, Optional<MessagePosition> through) {

    /** Validates the components. */
    public IndexedSession {
        Require.notNull(key, "key");
        Require.notNegative(version, "version");
        Require.notNull(createdAt, "createdAt");
        Require.notNull(through, "through");
    }

    /**
     * Whether this record describes the same incarnation of the session (same creation time) at the same version,
     * that is, whether nothing changed in the session since it was recorded.
     *
     * @param version the session's current version
     * @param createdAt the session's creation time
     * @return whether the record is current
     */
    public boolean isCurrent(long version, Instant createdAt) {
        return this.version == version && this.createdAt.equals(createdAt);
    }

    /**
     * Whether this record may replace {@code older}: always for another incarnation of the session, otherwise only
     * when its version is not lower (so a slower writer never moves a record back).
     *
     * @param older the record held so far, or null
     * @return whether to store this one instead
     */
    boolean replaces(IndexedSession older) {
        return older == null || !older.createdAt.equals(createdAt) || version >= older.version;
    }
}
