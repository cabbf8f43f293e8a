package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.internal.FencedWrites;
import dev.agnomemory.core.internal.LeaseStore;
import dev.agnomemory.core.internal.LeasedTurns;
import dev.agnomemory.core.storage.MemoryStorage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The leases behind {@link MapDbStorage}'s session turns, kept in memory (a MapDB store is open in one process
 * only), and the fenced writes that check them.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>A lease per held session.</b> Holder, epoch and expiry by the storage's clock, for each session whose
 *       turn is held (or was abandoned without release); a release removes it, so the map never grows with the
 *       sessions seen.</li>
 *   <li><b>Free</b> means no lease, or a lease whose expiry the storage's clock has passed.</li>
 *   <li><b>Epochs</b> count up from 1 in this storage object. Closing the storage ends its turns, so they need not
 *       survive a reopen.</li>
 *   <li><b>Fencing.</b> A fenced write takes the session's lease lock, checks its epoch and runs the ordinary
 *       write while it holds the lock; grants take the same lock, so a write that passed the check is complete
 *       before the turn changes hands, and one that comes later sees the new epoch.</li>
 *   <li><b>No line here.</b> All callers are in this process, where {@code LeasedTurns} already serves them in
 *       order; tickets are always 0.</li>
 * </ul>
 */
final class MapDbTurns implements LeaseStore, FencedWrites {

    private final MemoryStorage storage;
    private final Clock clock;
    private final Duration pollInterval;
    private final ConcurrentHashMap<SessionKey, Lease> leases = new ConcurrentHashMap<>();
    private final AtomicLong epochs = new AtomicLong();

    MapDbTurns(MemoryStorage storage, Clock clock, Duration pollInterval) {
        this.storage = storage;
        this.clock = clock;
        this.pollInterval = pollInterval;
    }

    /** A session's lease; replaced by a new object after a release. */
    private static final class Lease {
        final ReentrantLock lock = new ReentrantLock();
        long epoch;
        String holder;
        Instant expiresAt;
        boolean released;
    }

    // ---- leases ----

    @Override
    public Attempt tryAcquire(SessionKey key, String holder, long ticket, Duration lease) {
        while (true) {
            Lease l = leases.computeIfAbsent(key, k -> new Lease());
            l.lock.lock();
            try {
                if (l.released) {
                    continue; // removed meanwhile: take the new one
                }
                Instant now = clock.instant();
                if (l.holder == null || !now.isBefore(l.expiresAt)) {
                    l.epoch = epochs.incrementAndGet();
                    l.holder = holder;
                    l.expiresAt = now.plus(lease);
                    return Attempt.granted(l.epoch);
                }
                return Attempt.waiting(0, l.holder, Duration.between(now, l.expiresAt));
            } finally {
                l.lock.unlock();
            }
        }
    }

    @Override
    public boolean renew(SessionKey key, long epoch, Duration lease) {
        Lease l = leases.get(key);
        if (l == null) {
            return false;
        }
        l.lock.lock();
        try {
            if (l.released || l.epoch != epoch) {
                return false;
            }
            l.expiresAt = clock.instant().plus(lease);
            return true;
        } finally {
            l.lock.unlock();
        }
    }

    @Override
    public void release(SessionKey key, long epoch) {
        Lease l = leases.get(key);
        if (l == null) {
            return;
        }
        l.lock.lock();
        try {
            if (!l.released && l.epoch == epoch) {
                l.released = true;
                leases.remove(key, l);
            }
        } finally {
            l.lock.unlock();
        }
    }

    @Override
    public void leaveLine(SessionKey key, long ticket) {
        // no line here
    }

    /** @return how many sessions have a lease now (held, or abandoned and not yet taken) */
    int leases() {
        return leases.size();
    }

    @Override
    public Duration pollInterval() {
        return pollInterval;
    }

    // ---- fenced writes: the ordinary write, under the session's lease lock, when the epoch is current ----

    private <T> T fenced(SessionKey key, long fence, Supplier<T> write) {
        Lease l = leases.get(key);
        if (l == null) {
            throw LeasedTurns.stale(key, fence, 0);
        }
        l.lock.lock();
        try {
            if (l.released || l.epoch != fence) {
                throw LeasedTurns.stale(key, fence, l.released ? 0 : l.epoch);
            }
            return write.get();
        } finally {
            l.lock.unlock();
        }
    }

    @Override
    public Session getOrCreateSession(SessionKey key, String agentId, long fence) {
        return fenced(key, fence, () -> storage.getOrCreateSession(key, agentId));
    }

    @Override
    public Optional<Session> updateSessionData(SessionKey key, UnaryOperator<Map<String, String>> update,
            long fence) {
        return fenced(key, fence, () -> storage.updateSessionData(key, update));
    }

    @Override
    public Optional<Session> updateSessionState(SessionKey key, UnaryOperator<String> update, long fence) {
        return fenced(key, fence, () -> storage.updateSessionState(key, update));
    }

    @Override
    public Optional<Session> renameSession(SessionKey key, String name, long fence) {
        return fenced(key, fence, () -> storage.renameSession(key, name));
    }

    @Override
    public boolean deleteSession(SessionKey key, long fence) {
        return fenced(key, fence, () -> storage.deleteSession(key));
    }

    @Override
    public List<MessagePosition> appendMessages(SessionKey key, String runId, List<Message> messages, long fence) {
        return fenced(key, fence, () -> storage.appendMessages(key, runId, messages));
    }

    @Override
    public void finishRun(SessionKey key, String runId, RunOutcome outcome, long fence) {
        fenced(key, fence, () -> {
            storage.finishRun(key, runId, outcome);
            return null;
        });
    }

    @Override
    public List<MessagePosition> finishRun(SessionKey key, String runId, List<Message> lastMessages,
            RunOutcome outcome, long fence) {
        return fenced(key, fence, () -> storage.finishRun(key, runId, lastMessages, outcome));
    }

    @Override
    public boolean saveSummary(SessionKey key, SessionSummary summary, long fence) {
        return fenced(key, fence, () -> storage.saveSummary(key, summary));
    }
}
