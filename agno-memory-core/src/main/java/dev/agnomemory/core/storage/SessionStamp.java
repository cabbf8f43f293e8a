package dev.agnomemory.core.storage;

import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;
import java.time.Instant;

/**
 * Which session, in which state: its key, {@link Session#version()} and creation time (which tells a session from
 * an earlier one of the same key), as {@link MemoryStorage#sessionStamps(String)} lists them.
 *
 * @param key the user and session id
 * @param version the session's version; grows with every change of the session
 * @param createdAt when the session was created
 */
public record SessionStamp(SessionKey key, long version, Instant createdAt) {

    /** Checks that key and creation time are present. */
    public SessionStamp {
        Require.notNull(key, "key");
        Require.notNull(createdAt, "createdAt");
    }

    /**
     * @param session a session
     * @return its stamp
     */
    public static SessionStamp of(Session session) {
        return new SessionStamp(session.key(), session.version(), session.createdAt());
    }
}
