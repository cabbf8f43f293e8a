package dev.agnomemory.core.internal;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionTurn;
import dev.agnomemory.core.storage.SessionTurns;
import dev.agnomemory.core.storage.StaleTurnException;
import dev.agnomemory.core.storage.TurnTimeoutException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link SessionTurns} of a storage, over the {@link LeaseStore} that decides who holds a turn. Internal: not
 * part of the public API and may change without notice.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>A line per session.</b> The callers of this process that want a session's turn wait in a first-in,
 *       first-out line, and only the first of them asks the store. So the store sees one caller per process and
 *       session, and the order inside the process is the order of arrival. A first waiter that gives up hands its
 *       place in the store's line to the next one.</li>
 *   <li><b>When the first waiter asks again.</b> At once when woken (a release in this process, the store's
 *       notification, the line moving), else when the holder's lease runs out or after the store's poll interval,
 *       whichever comes first. The others wait until they are first.</li>
 *   <li><b>Renewal.</b> One task on the scheduler renews every turn held here, every third of the lease. A turn
 *       whose renewal the store refuses is lost: logged, its writes refused without a round trip. A renewal that
 *       fails (the store cannot be reached) is retried at the next tick; the lease may run out meanwhile.</li>
 *   <li><b>Release.</b> {@link SessionTurn#close()} releases in the store, then wakes the line; a failure to
 *       release is logged and the lease runs out by itself.</li>
 *   <li><b>Bounded.</b> A session has a line only while a caller waits for its turn or holds it here.</li>
 *   <li><b>Closing</b> releases the turns held here, ends every wait with {@link IllegalStateException}, and stops
 *       the renewals and the store's background work.</li>
 * </ul>
 */
public final class LeasedTurns implements SessionTurns {

    private static final Logger log = LoggerFactory.getLogger(LeasedTurns.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final long MAX_WAIT_NANOS = Long.MAX_VALUE / 4;

    private final String name;
    private final LeaseStore store;
    private final MemoryStorage storage;
    private final FencedWrites writes;
    private final TurnSettings settings;
    private final String instance;

    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by lock: the sessions that have a waiter or a holder in this process. */
    private final Map<SessionKey, Line> lines = new HashMap<>();
    private final Set<Turn> held = ConcurrentHashMap.newKeySet();
    /** Guarded by lock. */
    private ScheduledExecutorService ownScheduler;
    /** Guarded by lock. */
    private ScheduledFuture<?> renewals;
    /** Guarded by lock. */
    private boolean closed;
    private volatile boolean renewalsFailing;

    /**
     * @param name the storage, for messages and thread names (for example {@code "PostgreSQL schema agno_memory"})
     * @param store who decides who holds a turn
     * @param storage the storage, for the reads of a turn's view
     * @param writes the storage's fenced session writes, for the writes of a turn's view
     * @param settings lease, poll interval and scheduler
     */
    public LeasedTurns(String name, LeaseStore store, MemoryStorage storage, FencedWrites writes,
            TurnSettings settings) {
        this.name = name;
        this.store = store;
        this.storage = storage;
        this.writes = writes;
        this.settings = settings;
        this.instance = instanceId();
        store.wakeWith(this::wake);
    }

    @Override
    public SessionTurn acquire(SessionKey key, Duration maxWait) throws InterruptedException {
        Require.notNull(key, "key");
        Require.notNull(maxWait, "maxWait");
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must not be negative, but is " + maxWait);
        }
        if (Thread.interrupted()) {
            throw new InterruptedException("Interrupted before taking the turn of " + describe(key));
        }
        long start = System.nanoTime();
        long budget = maxWait.compareTo(Duration.ofNanos(MAX_WAIT_NANOS)) > 0 ? MAX_WAIT_NANOS : maxWait.toNanos();
        String holder = instance + " thread " + Thread.currentThread().getName();
        Waiter me = new Waiter();
        Line line;
        lock.lock();
        try {
            ensureOpen();
            line = lines.computeIfAbsent(key, k -> new Line());
            line.waiters.addLast(me);
        } finally {
            lock.unlock();
        }
        boolean granted = false;
        String lastHolder = null;
        try {
            while (true) {
                LeaseStore.Attempt attempt = null;
                if (isFirst(line, me)) {
                    attempt = store.tryAcquire(key, holder, me.ticket, settings.lease());
                    if (attempt.isGranted()) {
                        Turn turn = granted(key, line, me, attempt.epoch(), holder);
                        granted = true;
                        return turn;
                    }
                    me.ticket = attempt.ticket();
                    lastHolder = attempt.holder();
                }
                lock.lock();
                try {
                    ensureOpen();
                    long elapsed = System.nanoTime() - start;
                    if (elapsed >= budget) {
                        throw new TurnTimeoutException(key, Duration.ofMillis(TimeUnit.NANOSECONDS.toMillis(elapsed)),
                                lastHolder);
                    }
                    if (!me.signalled) {
                        me.wake.awaitNanos(waitNanos(attempt, budget - elapsed));
                    }
                    me.signalled = false;
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            if (!granted) {
                leave(key, line, me);
            }
        }
    }

    /** The first waiter asks again by itself; the others wait until the line moves. */
    private long waitNanos(LeaseStore.Attempt attempt, long left) {
        if (attempt == null) {
            return left;
        }
        long wait = Math.min(left, store.pollInterval().toNanos());
        if (attempt.retryIn() != null && !attempt.retryIn().isNegative() && !attempt.retryIn().isZero()) {
            wait = Math.min(wait, attempt.retryIn().toNanos());
        }
        return wait;
    }

    @Override
    public int waiting(SessionKey key) {
        Require.notNull(key, "key");
        lock.lock();
        try {
            Line line = lines.get(key);
            return line == null ? 0 : line.waiters.size();
        } finally {
            lock.unlock();
        }
    }

    /** @return how many sessions this process keeps a line for now: those with a waiter or a holder here */
    public int sessionsInUse() {
        lock.lock();
        try {
            return lines.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Closes the turns: releases the turns held here, ends every wait, stops renewing and closes the store's
     * background work. Idempotent.
     */
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            lines.values().forEach(LeasedTurns::signalFirstAndAll);
            if (renewals != null) {
                renewals.cancel(false);
            }
        } finally {
            lock.unlock();
        }
        for (Turn turn : List.copyOf(held)) {
            turn.close();
        }
        store.close();
        if (ownScheduler != null) {
            ownScheduler.shutdown();
        }
    }

    // ---- the line ----

    /** Whether {@code me} is first in line; throws when the storage closed meanwhile. */
    private boolean isFirst(Line line, Waiter me) {
        lock.lock();
        try {
            ensureOpen();
            return line.waiters.peekFirst() == me;
        } finally {
            lock.unlock();
        }
    }

    private Turn granted(SessionKey key, Line line, Waiter me, long epoch, String holder) {
        Turn turn = new Turn(key, epoch, holder, line);
        boolean closing;
        lock.lock();
        try {
            line.waiters.remove(me);
            line.holders++;
            signalFirst(line);
            held.add(turn);
            closing = closed;
            if (!closing) {
                scheduleRenewals();
            }
        } finally {
            lock.unlock();
        }
        if (closing) { // the storage closed while the store granted it: give it back
            turn.close();
            ensureOpen();
        }
        log.debug("{} took the turn of {} (epoch {})", holder, describe(key), epoch);
        return turn;
    }

    private void leave(SessionKey key, Line line, Waiter me) {
        long ticket = 0;
        lock.lock();
        try {
            boolean first = line.waiters.peekFirst() == me;
            line.waiters.remove(me);
            Waiter next = line.waiters.peekFirst();
            if (first && next != null && me.ticket != 0 && next.ticket == 0) {
                next.ticket = me.ticket; // the process keeps its place in the store's line
            } else {
                ticket = me.ticket;
            }
            if (first) {
                signalFirst(line);
            }
            dropIfIdle(key, line);
        } finally {
            lock.unlock();
        }
        if (ticket != 0) {
            try {
                store.leaveLine(key, ticket);
            } catch (RuntimeException e) {
                log.debug("Leaving the line for the turn of {} failed; the place expires with its lease",
                        describe(key), e);
            }
        }
    }

    private void release(Turn turn) {
        held.remove(turn);
        if (turn.lostBecause == null) {
            try {
                store.release(turn.key, turn.epoch);
                log.debug("Released the turn of {} (epoch {})", describe(turn.key), turn.epoch);
            } catch (RuntimeException e) {
                log.warn("Releasing the turn of {} (epoch {}) failed; the next caller gets it when its lease runs "
                        + "out, within {}", describe(turn.key), turn.epoch, settings.lease(), e);
            }
        }
        lock.lock();
        try {
            turn.line.holders--;
            signalFirst(turn.line);
            dropIfIdle(turn.key, turn.line);
        } finally {
            lock.unlock();
        }
    }

    /** Wakes the first waiter of every matching session, which then asks the store again. */
    private void wake(Predicate<SessionKey> sessions) {
        lock.lock();
        try {
            lines.forEach((key, line) -> {
                if (sessions.test(key)) {
                    signalFirst(line);
                }
            });
        } finally {
            lock.unlock();
        }
    }

    private static void signalFirst(Line line) {
        Waiter first = line.waiters.peekFirst();
        if (first != null) {
            first.signalled = true;
            first.wake.signal();
        }
    }

    private static void signalFirstAndAll(Line line) {
        for (Waiter w : line.waiters) {
            w.signalled = true;
            w.wake.signal();
        }
    }

    private void dropIfIdle(SessionKey key, Line line) {
        if (line.waiters.isEmpty() && line.holders == 0) {
            lines.remove(key, line);
        }
    }

    // ---- renewal ----

    private void scheduleRenewals() {
        if (renewals != null) {
            return;
        }
        ScheduledExecutorService scheduler = settings.scheduler();
        if (scheduler == null) {
            ScheduledThreadPoolExecutor own = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "agno-memory turns of " + name);
                t.setDaemon(true);
                return t;
            });
            own.setRemoveOnCancelPolicy(true);
            ownScheduler = own;
            scheduler = own;
        }
        long every = settings.renewEvery().toNanos();
        renewals = scheduler.scheduleWithFixedDelay(this::renewAll, every, every, TimeUnit.NANOSECONDS);
    }

    private void renewAll() {
        for (Turn turn : held) {
            try {
                if (!store.renew(turn.key, turn.epoch, settings.lease())) {
                    turn.lost("its lease ran out and another caller took the session");
                }
                if (renewalsFailing) {
                    renewalsFailing = false;
                    log.info("Renewing turns of {} works again", name);
                }
            } catch (RuntimeException e) {
                if (!renewalsFailing) {
                    renewalsFailing = true;
                    log.warn("Renewing the turn of {} (epoch {}) failed; retrying every {}, and the turn is lost if "
                            + "its lease runs out and another caller takes it meanwhile", describe(turn.key),
                            turn.epoch, settings.renewEvery(), e);
                } else {
                    log.debug("Renewing the turn of {} failed again", describe(turn.key), e);
                }
            }
        }
    }

    // ---- helpers ----

    private void ensureOpen() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("The storage " + name + " is closed; its session turns are over");
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * The exception for a fenced write whose epoch {@code fence} is not the session's current one.
     *
     * @param key the session written to
     * @param fence the epoch the write carried
     * @param current the session's current turn epoch, 0 when no one holds the turn
     * @return the exception to throw
     */
    public static StaleTurnException stale(SessionKey key, long fence, long current) {
        return new StaleTurnException(key, fence, current == 0 ? "no one holds the session's turn now"
                : "another caller took the session's turn, with epoch " + current);
    }

    static String describe(SessionKey key) {
        return "session " + key.sessionId() + " of user " + key.userId();
    }

    /** Who this process is, in the store's records of holders and in timeout messages. */
    private static String instanceId() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            host = System.getenv("COMPUTERNAME");
        }
        return ProcessHandle.current().pid() + (host == null || host.isBlank() ? "" : "@" + host) + "#"
                + INSTANCES.incrementAndGet();
    }

    /** The callers of this process waiting for one session's turn, and how many turns of it are held here. */
    private final class Line {
        final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
        /** More than one only while a lost turn is not closed yet. */
        int holders;
    }

    private final class Waiter {
        final Condition wake = lock.newCondition();
        /** Guarded by lock: woken since it last looked. */
        boolean signalled;
        /** The place in the store's line, 0 for none yet. */
        long ticket;
    }

    /** A turn held in this process. */
    final class Turn implements SessionTurn {
        private final SessionKey key;
        private final long epoch;
        private final String holder;
        private final Line line;
        private final AtomicBoolean closed = new AtomicBoolean();
        private volatile String lostBecause;
        private final FencedStorageView view;

        private Turn(SessionKey key, long epoch, String holder, Line line) {
            this.key = key;
            this.epoch = epoch;
            this.holder = holder;
            this.line = line;
            this.view = new FencedStorageView(storage, writes, this);
        }

        @Override
        public SessionKey key() {
            return key;
        }

        @Override
        public long epoch() {
            return epoch;
        }

        @Override
        public boolean held() {
            return whyNotHeld() == null;
        }

        /** @return why this turn is not held, or null when it is */
        String whyNotHeld() {
            if (closed.get()) {
                return "it was released";
            }
            return lostBecause;
        }

        /** The storage found the turn taken over: later writes are refused here, without a round trip. */
        void lost(String why) {
            if (closed.get() || lostBecause != null) {
                return;
            }
            lostBecause = why;
            held.remove(this);
            log.warn("{} lost the turn of {} (epoch {}): {}; its writes to the session are refused from now on",
                    holder, describe(key), epoch, why);
        }

        @Override
        public MemoryStorage storage() {
            return view;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                release(this);
            }
        }

        @Override
        public String toString() {
            return "the turn of " + describe(key) + " with epoch " + epoch + " (" + (held() ? "held" : whyNotHeld())
                    + ")";
        }
    }
}
