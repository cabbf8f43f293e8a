package dev.agnomemory.core.search;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import dev.agnomemory.core.storage.SessionStamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Brings a {@link ConversationIndex} up to date with a {@link MemoryStorage}: one session, one user's sessions, or
 * every session of the store.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>What is searched.</b> {@link Role#USER} and {@link Role#ASSISTANT} messages whose content is not blank,
 *       by their content; system prompts, tool calls and tool results are not (a tool call without text has blank
 *       content).</li>
 *   <li><b>Current sessions cost one comparison.</b> A session is current when the index's {@link IndexedSession}
 *       has the stored session's version and creation time. A user's sessions are compared by their
 *       {@link MemoryStorage#sessionStamps stamps}, which a storage may read without the sessions' details.</li>
 *   <li><b>A changed session is read from where the index stopped</b>: the runs after the record's
 *       {@link IndexedSession#through()} position ({@link MemoryStorage#lastRuns} when they are at most
 *       {@link #LAST_RUNS_LIMIT}, otherwise the paged {@link MemoryStorage#runs}). Its messages are added in batches
 *       of {@link #ADD_BATCH}, then its record is written with the version read <em>before</em> the messages (so a
 *       message appended meanwhile makes the session look changed, never current).</li>
 *   <li><b>A session without a record, or with the record of an earlier session of the same key</b> (created at
 *       another time), is first removed from the index, then read from its start.</li>
 *   <li><b>A session that no longer exists</b> in storage is removed from the index, and the removal reported to
 *       the owner (who purges within its bound), whether or not the index still had a record of it.</li>
 *   <li>One thread at a time catches up a given session in this process (striped locks), so its messages reach the
 *       index in position order.</li>
 *   <li>A sweep of every session ({@link #all()}) catches up changed sessions overlapped ({@link OverlappedCatchUps}):
 *       one session's messages are read and embedded while another's are written to the index.</li>
 * </ul>
 */
final class IndexCatchUp {

    /** Messages per {@link ConversationIndex#add} call. */
    static final int ADD_BATCH = 256;
    /** The most runs read with one {@link MemoryStorage#lastRuns} call; longer gaps are streamed. */
    static final int LAST_RUNS_LIMIT = 64;
    /** Sessions per page of the store-wide listing. */
    static final int SWEEP_PAGE = 1_000;

    private final MemoryStorage storage;
    private final ConversationIndex index;
    private final Runnable removed;
    private final Executor overlap;
    private final ReentrantLock[] stripes = new ReentrantLock[64];

    /**
     * @param storage where the messages are
     * @param index what to keep current
     * @param removed called after a session's entries were removed from the index
     * @param overlap runs a sweep's session catch-ups beside the sweeping thread ({@link OverlappedCatchUps})
     */
    IndexCatchUp(MemoryStorage storage, ConversationIndex index, Runnable removed, Executor overlap) {
        this.storage = storage;
        this.index = index;
        this.removed = removed;
        this.overlap = overlap;
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    /** What one catch-up did. */
    record Outcome(int sessionsIndexed, int messagesIndexed, int sessionsRemoved) {
        static final Outcome NOTHING = new Outcome(0, 0, 0);

        Outcome plus(Outcome o) {
            return new Outcome(sessionsIndexed + o.sessionsIndexed, messagesIndexed + o.messagesIndexed,
                    sessionsRemoved + o.sessionsRemoved);
        }

        boolean changed() {
            return sessionsIndexed + sessionsRemoved > 0;
        }
    }

    /**
     * Catches up every session of the store, and removes the index's sessions that no longer exist.
     *
     * @return what changed
     */
    Outcome all() {
        Map<SessionKey, IndexedSession> recorded = new HashMap<>();
        for (IndexedSession r : index.indexedSessions()) {
            recorded.put(r.key(), r);
        }
        OverlappedCatchUps changed = new OverlappedCatchUps(overlap);
        for (int offset = 0; ; offset += SWEEP_PAGE) {
            List<Session> page = storage.sessions(SessionFilter.any().offset(offset).limit(SWEEP_PAGE));
            for (Session s : page) {
                IndexedSession record = recorded.remove(s.key());
                if (!isCurrent(s.version(), s.createdAt(), record)) {
                    changed.submit(() -> session(s.key()));
                }
            }
            if (page.size() < SWEEP_PAGE) {
                break;
            }
        }
        // Not listed: deleted, or moved between pages while the listing ran; session() reads each again.
        for (SessionKey key : recorded.keySet()) {
            changed.submit(() -> session(key));
        }
        return changed.await();
    }

    /**
     * Catches up the sessions of one user, and removes the index's sessions of the user that no longer exist.
     *
     * @param userId the user
     * @return what changed
     */
    Outcome user(String userId) {
        Map<String, IndexedSession> recorded = new HashMap<>();
        for (IndexedSession r : index.indexedSessions(userId)) {
            recorded.put(r.key().sessionId(), r);
        }
        Outcome outcome = Outcome.NOTHING;
        for (SessionStamp s : storage.sessionStamps(userId)) {
            IndexedSession record = recorded.remove(s.key().sessionId());
            if (!isCurrent(s.version(), s.createdAt(), record)) {
                outcome = outcome.plus(session(s.key()));
            }
        }
        for (IndexedSession r : recorded.values()) {
            outcome = outcome.plus(session(r.key()));
        }
        return outcome;
    }

    private static boolean isCurrent(long version, Instant createdAt, IndexedSession record) {
        return record != null && record.isCurrent(version, createdAt);
    }

    /**
     * Catches up one session: indexes what is new, or removes it from the index when it no longer exists.
     *
     * @param key the session
     * @return what changed
     */
    Outcome session(SessionKey key) {
        ReentrantLock lock = stripes[Math.floorMod(key.hashCode(), stripes.length)];
        lock.lock();
        try {
            Optional<Session> stored = storage.session(key);
            Optional<IndexedSession> record = index.indexedSession(key);
            if (stored.isEmpty()) {
                // Also without a record: an index whose rows went with the stored session still has their space
                // to reclaim, and one that crashed before recording may hold messages.
                index.removeSession(key);
                removed.run();
                return record.isPresent() ? new Outcome(0, 0, 1) : Outcome.NOTHING;
            }
            Session session = stored.get();
            if (record.isPresent() && record.get().isCurrent(session.version(), session.createdAt())) {
                return Outcome.NOTHING;
            }
            Optional<MessagePosition> from = Optional.empty();
            if (record.isPresent() && record.get().createdAt().equals(session.createdAt())) {
                from = record.get().through();
            } else {
                // Never recorded (new, or indexed before a crash) or an earlier session of the same key: start over.
                index.removeSession(key);
                if (record.isPresent()) {
                    removed.run();
                }
            }
            Indexer indexer = new Indexer(key, from);
            indexer.addAll(runsAfter(key, session.runCount(), from));
            index.recordSession(new IndexedSession(key, session.version(), session.createdAt(), indexer.through));
            return new Outcome(1, indexer.indexed, 0);
        } finally {
            lock.unlock();
        }
    }

    /** The session's runs from the one holding {@code from} (or all), oldest first. */
    private Stream<Run> runsAfter(SessionKey key, long runCount, Optional<MessagePosition> from) {
        long start = from.map(MessagePosition::runSequence).orElse(0L);
        long n = runCount - start;
        if (n <= 0) {
            return Stream.empty();
        }
        while (n <= LAST_RUNS_LIMIT) {
            List<Run> runs = storage.lastRuns(key, (int) n);
            if (runs.isEmpty() || runs.get(0).sequence() <= start) {
                return runs.stream();
            }
            n += runs.get(0).sequence() - start; // runs were appended meanwhile: read further back
        }
        return storage.runs(key).dropWhile(r -> r.sequence() < start);
    }

    /** Adds a session's searched messages after {@code from} in batches, remembering the last position read. */
    private final class Indexer {
        private final SessionKey key;
        private final Optional<MessagePosition> from;
        private final List<IndexedMessage> batch = new ArrayList<>();
        private Optional<MessagePosition> through;
        private int indexed;

        Indexer(SessionKey key, Optional<MessagePosition> from) {
            this.key = key;
            this.from = from;
            this.through = from;
        }

        void addAll(Stream<Run> runs) {
            runs.forEachOrdered(run -> {
                List<Message> messages = run.messages();
                for (int i = 0; i < messages.size(); i++) {
                    MessagePosition position = new MessagePosition(run.sequence(), i);
                    if (from.isPresent() && position.compareTo(from.get()) <= 0) {
                        continue;
                    }
                    through = Optional.of(position);
                    Message m = messages.get(i);
                    if (isSearched(m)) {
                        batch.add(new IndexedMessage(key, run.runId(), position, m.role(), m.createdAt(),
                                m.content()));
                        if (batch.size() >= ADD_BATCH) {
                            flush();
                        }
                    }
                }
            });
            flush();
        }

        private void flush() {
            if (!batch.isEmpty()) {
                index.add(List.copyOf(batch));
                indexed += batch.size();
                batch.clear();
            }
        }
    }

    static boolean isSearched(Message m) {
        return (m.role() == Role.USER || m.role() == Role.ASSISTANT) && !m.content().isBlank();
    }
}
