package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.UserMemory;

/**
 * What journal records change, as each record type applies itself ({@link JournalRecord#apply}): the state of a
 * live store (its in-memory layer over the index), an index being built from the journal, or a store opened
 * read-only. Reads see every change made before.
 */
interface RecordTarget {

    /** @return the session's head, or null */
    SessionHead head(long sid);

    /** @return the session's details, {@link SessionDetails#EMPTY} when it has none */
    SessionDetails details(long sid);

    /** @return the run, or null */
    RunEntry run(long sid, long sequence);

    /** Stores the head (a new session, or a changed one) under its key and number. */
    void putHead(SessionHead head);

    void putDetails(long sid, SessionDetails details);

    void putRun(long sid, long sequence, RunEntry run);

    void putRunId(long sid, String runId, long sequence);

    /** Removes the session with its details, runs and run ids. */
    void deleteSession(SessionKey key, long sid);

    void putMemory(UserMemory memory);

    /** Removes the memory and its embedding. */
    void removeMemory(String userId, String memoryId);

    void putEmbedding(MemoryEmbedding embedding);

    /** Adds one entry to a memory's history, ordered by the version that made it. */
    void putHistory(long version, MemoryChange change);

    /** Removes all memories of the user, with their embeddings and histories. */
    void wipeMemories(String userId);

    void setMemoriesVersion(String userId, long version);

    /** Session numbers up to {@code sid} and versions up to {@code version} are taken: never hand them out again. */
    void advanceCounters(long sid, long version);
}
