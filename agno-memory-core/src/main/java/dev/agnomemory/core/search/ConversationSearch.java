package dev.agnomemory.core.search;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.storage.MemoryStorage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Searches everything a user has said in a {@link MemoryStorage}, by meaning and by words, through a
 * {@link ConversationIndex} that it keeps current with the storage.
 *
 * <pre>{@code
 * try (ConversationSearch search = ConversationSearch.builder()
 *         .storage(storage)                                   // MapDbStorage, PostgresStorage, ...
 *         .index(LuceneConversationIndex.builder().directory(Path.of("conversations-index"))
 *                 .embedder(embedder).build())
 *         .build()) {
 *     storage.appendMessages(key, runId, messages);
 *     search.sessionChanged(key);                             // returns at once; indexed in the background
 *     List<ConversationHit> hits = search.search("alice", "where did we go hiking?", 10);
 * }
 * }</pre>
 *
 * <p>Rules:
 * <ul>
 *   <li><b>What is searched</b>: the user and assistant messages with text of every session of the user; not
 *       system prompts, tool calls or tool results. Hits carry the session, run, position, role, time and text,
 *       and their neighbouring messages ({@link ConversationHit}).</li>
 *   <li><b>Isolation.</b> A search reads only the messages of its {@link ConversationQuery#userId()}: the index
 *       filters by the user inside every ranking, and neighbours come from the hit's own session.</li>
 *   <li><b>A search sees the storage as it is when the search starts.</b> It first compares the user's stored
 *       sessions with the index's records ({@link IndexedSession}: one listing of the user's
 *       {@link MemoryStorage#sessionStamps session stamps}, one read of the records; nothing else when the index is
 *       current), indexes what changed and removes what was deleted, then searches. So a search is never wrong,
 *       only slower when the background indexing is behind: by the embedding of the messages the index lacks.
 *       The index may embed the query and search meanwhile, reading again when the check changed it
 *       ({@link ConversationIndex#search(ConversationQuery, Runnable)}).</li>
 *   <li><b>Appends are indexed in the background.</b> {@link #sessionChanged} and {@link #userChanged} only put
 *       the key into an in-memory set (a few map operations under one monitor, no I/O, never waiting for indexing)
 *       and start the worker if it is idle. The worker reads what is new after the index's record (not the whole
 *       session), embeds it in batches and commits the index when nothing is left. At most
 *       {@link Builder#maxPendingSessions(int)} keys wait; beyond that they are dropped and a sweep of the whole
 *       store follows, so nothing is lost.</li>
 *   <li><b>After a restart or a crash</b> the first sweep (at {@link Builder#build()}, in the background) brings the
 *       index up to date from the stored versions and positions; vectors already in the index are kept. An index
 *       that was missing or damaged starts empty (its own log line says so) and is filled again by that sweep.</li>
 *   <li><b>Sweeps</b> every {@link Builder#sweepInterval(Duration)} (default 5 minutes) compare every stored session
 *       with the index: they index what was written without {@link #sessionChanged} (by another process or
 *       instance) and remove the sessions and users that were deleted. A sweep catches up two changed sessions at
 *       a time (on the scheduler's thread and on one daemon helper thread of the search's own), so one session's
 *       messages are embedded while another's are written to the index; a session that fails does not stop the
 *       others, and the sweep then reports the first failure.</li>
 *   <li><b>Deletes.</b> A deleted session leaves the index when a search of its user, {@link #sessionChanged},
 *       {@link #userChanged} or a sweep sees it gone; then, within {@link Builder#purgeDelay(Duration)} (default 1
 *       minute, as {@code MapDbStorage}'s), {@link ConversationIndex#purgeDeleted()} removes its text from the index
 *       files. Call {@link #sessionChanged} after deleting a session to start that clock at once.</li>
 *   <li><b>Failures</b> of background work are logged with the session concerned and retried by the next change or
 *       sweep; failures of a search's own catch-up are the search's exception.</li>
 *   <li>Thread-safe. {@link #close()} stops the background work, purges what is due and commits the index; it
 *       closes neither the storage nor the index (they are the caller's).</li>
 * </ul>
 */
public final class ConversationSearch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConversationSearch.class);

    /** The default {@link Builder#sweepInterval(Duration)}. */
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofMinutes(5);
    /** The default {@link Builder#purgeDelay(Duration)}. */
    public static final Duration DEFAULT_PURGE_DELAY = Duration.ofMinutes(1);
    /** The default {@link Builder#maxPendingSessions(int)}. */
    public static final int DEFAULT_MAX_PENDING_SESSIONS = 10_000;

    private final MemoryStorage storage;
    private final ConversationIndex index;
    private final ScheduledExecutorService scheduler;
    private final boolean ownScheduler;
    private final Duration purgeDelay;
    /** One helper thread, so a sweep catches up a second session while the first one's are written. */
    private final ThreadPoolExecutor overlap;
    private final IndexCatchUp catchUp;
    private final PendingWork pending;
    /** Held while background work runs, so {@link #close()} can wait for the current step. */
    private final ReentrantLock working = new ReentrantLock();
    private final AtomicBoolean purgeScheduled = new AtomicBoolean();
    private final Future<?> sweeps;
    private volatile Future<?> purge;
    private volatile boolean closed;

    private ConversationSearch(Builder b) {
        this.storage = b.storage;
        this.index = b.index;
        this.purgeDelay = b.purgeDelay;
        this.pending = new PendingWork(b.maxPendingSessions);
        this.overlap = HelperThreads.newPool("agno-memory-conversation-catch-up", 1);
        this.catchUp = new IndexCatchUp(storage, index, this::removedFromIndex, overlap);
        if (b.scheduler != null) {
            this.scheduler = b.scheduler;
            this.ownScheduler = false;
        } else {
            ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "agno-memory-conversation-indexer");
                t.setDaemon(true);
                return t;
            });
            executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            executor.setRemoveOnCancelPolicy(true);
            this.scheduler = executor;
            this.ownScheduler = true;
        }
        this.sweeps = scheduler.scheduleWithFixedDelay(this::sweepInBackground, 0, b.sweepInterval.toNanos(),
                TimeUnit.NANOSECONDS);
    }

    /** @return a builder; {@link Builder#storage} and {@link Builder#index} are required */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The messages of one user most related to a query, best first, after bringing the user's sessions in the index
     * up to date.
     *
     * @param query the user, the text and the options
     * @return up to {@link ConversationQuery#limit()} hits, best first; empty when nothing matches
     * @throws dev.agnomemory.core.storage.StorageException when the storage cannot be read
     * @throws SearchIndexException when the index cannot be read or written
     */
    public List<ConversationHit> search(ConversationQuery query) {
        Require.notNull(query, "query");
        ensureOpen();
        return index.search(query, () -> catchUp.user(query.userId()));
    }

    /**
     * Shorthand for {@code search(new ConversationQuery(userId, text, limit, DEFAULT_NEIGHBOURS, null))}.
     *
     * @param userId the user whose messages are searched
     * @param text what to look for
     * @param limit how many messages to return at most
     * @return the hits, best first
     */
    public List<ConversationHit> search(String userId, String text, int limit) {
        return search(new ConversationQuery(userId, text, limit, ConversationQuery.DEFAULT_NEIGHBOURS, null));
    }

    /**
     * Tells the search that a session changed (messages appended) or was deleted: it is caught up in the background.
     * Returns at once (see the class rules).
     *
     * @param session the user and session
     */
    public void sessionChanged(SessionKey session) {
        Require.notNull(session, "session");
        enqueue(PendingWork.Work.of(session));
    }

    /**
     * Tells the search that sessions of a user changed or were deleted (for example all of them, when the user was
     * deleted): the user's sessions are caught up in the background. Returns at once.
     *
     * @param userId the user
     */
    public void userChanged(String userId) {
        Require.notBlank(userId, "userId");
        enqueue(PendingWork.Work.ofUser(userId));
    }

    /**
     * Brings the whole index up to date with the storage now, on the calling thread (what a sweep does), and
     * commits it: for example after importing conversations, before searching them.
     */
    public void catchUp() {
        ensureOpen();
        IndexCatchUp.Outcome outcome = catchUp.all();
        index.commit();
        logOutcome("Caught up", outcome);
    }

    /**
     * Stops the background work (waiting for the step in progress), runs a purge that is due, and commits the index.
     * Closing twice does nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        sweeps.cancel(false);
        Future<?> scheduledPurge = purge;
        if (scheduledPurge != null) {
            scheduledPurge.cancel(false);
        }
        if (ownScheduler) {
            scheduler.shutdown(); // no interrupts: they would break the index's file channels
        }
        working.lock();
        try {
            overlap.shutdown(); // idle now: a sweep waits for its catch-ups before it releases the lock
            if (purgeScheduled.getAndSet(false)) {
                index.purgeDeleted();
            }
            index.commit();
        } finally {
            working.unlock();
        }
    }

    @Override
    public String toString() {
        return "ConversationSearch[" + index + "]";
    }

    private void enqueue(PendingWork.Work work) {
        ensureOpen();
        if (pending.offer(work)) {
            try {
                scheduler.execute(this::drain);
            } catch (RejectedExecutionException e) {
                pending.stopped();
                log.warn("Could not start indexing {}: the scheduler refused the task; the next sweep catches it up",
                        work, e);
            }
        }
    }

    private void drain() {
        working.lock();
        try {
            boolean changed = false;
            PendingWork.Work work;
            while (!closed && (work = pending.poll()) != null) {
                try {
                    IndexCatchUp.Outcome outcome = work.session() != null ? catchUp.session(work.session())
                            : catchUp.user(work.userId());
                    changed |= outcome.changed();
                } catch (RuntimeException e) {
                    log.warn("Could not bring the conversation index up to date with {}; the next change or sweep "
                            + "retries", work, e);
                }
            }
            if (closed) {
                pending.stopped();
                return;
            }
            if (pending.takeOverflow()) {
                log.warn("More than {} sessions waited to be indexed; sweeping the whole store instead",
                        pending.capacity());
                changed |= catchUp.all().changed();
            }
            if (changed) {
                index.commit();
            }
        } catch (RuntimeException e) {
            pending.stopped();
            log.warn("Indexing conversations failed; the next change or sweep retries", e);
        } finally {
            working.unlock();
        }
    }

    private void sweepInBackground() {
        working.lock();
        try {
            if (closed) {
                return;
            }
            IndexCatchUp.Outcome outcome = catchUp.all();
            if (outcome.changed()) {
                index.commit();
            }
            logOutcome("Sweep", outcome);
        } catch (RuntimeException e) {
            log.warn("Sweeping the conversation index {} failed; the next sweep retries", index, e);
        } finally {
            working.unlock();
        }
    }

    /** Called after entries were removed from the index: purges within {@link #purgeDelay}. */
    private void removedFromIndex() {
        if (!purgeScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            purge = scheduler.schedule(this::purgeInBackground, purgeDelay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            purgeScheduled.set(false); // closing: close() purges
        }
    }

    private void purgeInBackground() {
        working.lock();
        try {
            if (closed || !purgeScheduled.getAndSet(false)) {
                return;
            }
            index.purgeDeleted();
            log.debug("Purged removed messages from {}", index);
        } catch (RuntimeException e) {
            log.warn("Purging removed messages from {} failed; retrying at the next removal or at close", index, e);
            purgeScheduled.set(true);
        } finally {
            working.unlock();
        }
    }

    private void logOutcome(String what, IndexCatchUp.Outcome outcome) {
        if (outcome.changed()) {
            log.info("{} {}: indexed {} messages of {} sessions, removed {} deleted sessions", what, index,
                    outcome.messagesIndexed(), outcome.sessionsIndexed(), outcome.sessionsRemoved());
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("The conversation search over " + index + " is closed");
        }
    }

    /** Configures a {@link ConversationSearch}; validation happens in {@link #build()}. */
    public static final class Builder {
        private MemoryStorage storage;
        private ConversationIndex index;
        private ScheduledExecutorService scheduler;
        private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;
        private Duration purgeDelay = DEFAULT_PURGE_DELAY;
        private int maxPendingSessions = DEFAULT_MAX_PENDING_SESSIONS;

        private Builder() {
        }

        /**
         * @param storage where the conversations are stored; required
         * @return this builder
         */
        public Builder storage(MemoryStorage storage) {
            this.storage = storage;
            return this;
        }

        /**
         * @param index the index to search and keep current; required. Give one index to one search only: two
         *     searches over one index would duplicate the work (a {@link PostgresConversationIndex} may be shared by
         *     the searches of several application instances, each over its own {@code PostgresStorage} of the same
         *     database).
         * @return this builder
         */
        public Builder index(ConversationIndex index) {
            this.index = index;
            return this;
        }

        /**
         * @param scheduler runs the background indexing, the sweeps and the purges (default: one daemon thread of
         *     this search's own, stopped at {@link #close()}); one that is passed in is not shut down
         * @return this builder
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        /**
         * @param interval how often the whole store is compared with the index (default 5 minutes); the first
         *     sweep starts at {@link #build()}
         * @return this builder
         */
        public Builder sweepInterval(Duration interval) {
            this.sweepInterval = interval;
            return this;
        }

        /**
         * @param delay how long after a removal from the index its text is purged from the index files at the latest
         *     (default 1 minute); set it to the storage's own purge delay
         * @return this builder
         */
        public Builder purgeDelay(Duration delay) {
            this.purgeDelay = delay;
            return this;
        }

        /**
         * @param max how many changed sessions and users may wait for background indexing (default 10,000)
         * @return this builder
         */
        public Builder maxPendingSessions(int max) {
            this.maxPendingSessions = max;
            return this;
        }

        /**
         * Starts the search: schedules the first sweep at once (in the background) and one every sweep interval.
         *
         * @return the search
         * @throws IllegalArgumentException naming the parameter when a value is missing or invalid, or when a
         *     {@link PostgresConversationIndex} is given with a storage other than its own
         */
        public ConversationSearch build() {
            Require.notNull(storage, "storage");
            Require.notNull(index, "index");
            Require.notNull(sweepInterval, "sweepInterval");
            if (sweepInterval.isNegative() || sweepInterval.isZero()) {
                throw new IllegalArgumentException("sweepInterval must be positive, but is " + sweepInterval);
            }
            Require.notNull(purgeDelay, "purgeDelay");
            if (purgeDelay.isNegative()) {
                throw new IllegalArgumentException("purgeDelay must not be negative, but is " + purgeDelay);
            }
            Require.positive(maxPendingSessions, "maxPendingSessions");
            if (index instanceof PostgresConversationIndex pg) {
                pg.requireIndexes(storage);
            }
            return new ConversationSearch(this);
        }
    }
}
