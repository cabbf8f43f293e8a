package dev.agnomemory.langchain4j;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.agnomemory.core.storage.MemoryStorage;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Serializes the memory work of one user on one storage, across every memory manager of the process: two runs of
 * the memory model for the same user (after-run extraction in two sessions, the agentic tool, a call by hand) read
 * the user's memories and decide against what they read, so running them at once could bring back a memory the
 * other just deleted.
 *
 * <p>The locks live in a Caffeine map with weak values: an entry exists while a thread holds or waits for its lock
 * and is collected after, so the map never outgrows the users being worked on at the moment (evicting by size or
 * idle time would be wrong here: a lock dropped while held would let a second thread in).
 */
final class UserLocks {

    private record Owner(MemoryStorage storage, String userId) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Owner other && other.storage == storage && other.userId.equals(userId);
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(storage) * 31 + userId.hashCode();
        }
    }

    private static final Cache<Owner, ReentrantLock> LOCKS = Caffeine.newBuilder().weakValues().build();

    private UserLocks() {
    }

    /**
     * Runs {@code work} while holding the user's lock on this storage.
     *
     * @param storage the storage the user's memories are in
     * @param userId the user
     * @param work the memory work
     * @param <T> its result
     * @return its result
     */
    static <T> T withUser(MemoryStorage storage, String userId, Supplier<T> work) {
        ReentrantLock lock = LOCKS.get(new Owner(storage, userId), k -> new ReentrantLock());
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }
}
