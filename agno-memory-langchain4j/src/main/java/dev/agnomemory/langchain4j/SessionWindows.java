package dev.agnomemory.langchain4j;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.agnomemory.core.SessionKey;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The provider's {@link SessionWindow}s, bounded: at most {@code maxSessions} are kept, and a window unused for
 * {@code idleTime} is dropped (Caffeine, size and idle-time eviction). A dropped window is only a cache: the next
 * use reloads the session from storage. A window with a call in progress is pinned (kept outside the bounded
 * cache until the call ends), so a call never loses the run it is writing.
 */
final class SessionWindows {

    private final Cache<SessionKey, SessionWindow> cache;
    private final ConcurrentHashMap<SessionKey, SessionWindow> pinned = new ConcurrentHashMap<>();
    private final Set<SessionKey> dropWhenUnpinned = ConcurrentHashMap.newKeySet();
    private final Function<SessionKey, SessionWindow> factory;

    SessionWindows(int maxSessions, Duration idleTime, Ticker ticker, Function<SessionKey, SessionWindow> factory) {
        this.cache = Caffeine.newBuilder().maximumSize(maxSessions).expireAfterAccess(idleTime).ticker(ticker)
                .executor(Runnable::run).<SessionKey, SessionWindow>removalListener((key, window, cause) -> {
                    if (window != null) {
                        window.dropped();
                    }
                }).build();
        this.factory = factory;
    }

    SessionWindow get(SessionKey key) {
        SessionWindow busy = pinned.get(key);
        return busy != null ? busy : cache.get(key, factory);
    }

    /** Drops the session's window; one with a call in progress is dropped when the call ends. */
    boolean evict(SessionKey key) {
        boolean cached = cache.asMap().remove(key) != null;
        if (pinned.containsKey(key)) {
            dropWhenUnpinned.add(key);
            return true;
        }
        return cached;
    }

    void pin(SessionWindow window) {
        pinned.put(window.key(), window);
    }

    void unpin(SessionWindow window) {
        if (pinned.remove(window.key(), window)) {
            if (dropWhenUnpinned.remove(window.key())) {
                window.dropped();
            } else if (cache.asMap().putIfAbsent(window.key(), window) == null) {
                window.kept();
            }
        }
    }

    boolean isPinned(SessionWindow window) {
        return pinned.get(window.key()) == window;
    }

    /** @return whether the session's window is held (for tests) */
    boolean holds(SessionKey key) {
        return pinned.containsKey(key) || cache.getIfPresent(key) != null;
    }

    /** @return how many windows are held now (for tests and the heap benchmark) */
    long size() {
        cache.cleanUp();
        return cache.estimatedSize() + pinned.size();
    }
}
