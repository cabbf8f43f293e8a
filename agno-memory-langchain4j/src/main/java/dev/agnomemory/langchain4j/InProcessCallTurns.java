package dev.agnomemory.langchain4j;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.agnomemory.core.SessionKey;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns of the calls of one process: a fair one-permit semaphore per session, so waiting calls go in arrival
 * order, and calls on different sessions never wait for each other.
 *
 * <p>The semaphores live in a Caffeine map with weak values: an entry exists while a call holds or waits for it,
 * and is collected after, so the map holds only the sessions busy right now however many sessions there are.
 * (Evicting by size or idle time would be wrong for a lock: one dropped while held lets a second call in.)
 */
final class InProcessCallTurns implements CallTurns {

    private static final Logger log = LoggerFactory.getLogger(InProcessCallTurns.class);

    private final Cache<SessionKey, Semaphore> permits = Caffeine.newBuilder().weakValues().build();

    @Override
    public Turn take(SessionKey key, String callId, Duration waitLimit) {
        Semaphore permit = permits.get(key, k -> new Semaphore(1, true));
        try {
            if (permit.tryAcquire(waitLimit.toMillis(), TimeUnit.MILLISECONDS)) {
                return new Held(permit);
            }
            log.warn("Call {} waited {} for the previous call on {} to finish; it goes on without waiting longer",
                    callId, waitLimit, key);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.debug("Call {} on {} was interrupted while waiting for its turn; it goes on without it", callId, key);
        }
        return null;
    }

    /** How many sessions have a semaphore now (for tests: bounded by the busy sessions). */
    long size() {
        permits.cleanUp();
        return permits.estimatedSize();
    }

    private static final class Held implements Turn {
        private final Semaphore permit;
        private final AtomicBoolean released = new AtomicBoolean();

        Held(Semaphore permit) {
            this.permit = permit;
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                permit.release();
            }
        }
    }
}
