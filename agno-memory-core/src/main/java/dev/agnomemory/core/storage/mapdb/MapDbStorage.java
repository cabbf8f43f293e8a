package dev.agnomemory.core.storage.mapdb;

import dev.agnomemory.core.MemoryChange;
import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.MemoryEmbedding;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.RunOutcome;
import dev.agnomemory.core.RunStatus;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.SessionSummary;
import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.internal.JsonText;
import dev.agnomemory.core.internal.LeasedTurns;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.internal.TurnSettings;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import dev.agnomemory.core.storage.SessionTurns;
import dev.agnomemory.core.storage.StorageException;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemoryDeleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MemorySaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.MessageAppended;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunFinished;
import dev.agnomemory.core.storage.mapdb.JournalRecord.RunStarted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionCreated;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDataSet;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionDeleted;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionRenamed;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SessionStateSet;
import dev.agnomemory.core.storage.mapdb.JournalRecord.SummarySaved;
import dev.agnomemory.core.storage.mapdb.JournalRecord.UserMemoriesDeleted;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.mapdb.volume.VolumeFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded default {@link MemoryStorage}: a MapDB file made crash-safe by a journal of its own.
 *
 * <pre>{@code
 * try (MapDbStorage storage = MapDbStorage.open(Path.of("agent-memory.db"))) {
 *     SessionKey key = SessionKey.of("alice", "session-1");
 *     storage.getOrCreateSession(key, "support-agent");
 *     storage.appendMessage(key, "run-1", Message.user("Hi"));
 *     storage.appendMessage(key, "run-1", Message.assistant("Hello!"));
 *     storage.completeRun(key, "run-1");
 * }
 * }</pre>
 *
 * <p>How it keeps data safe (details in {@code docs/storage.md}):
 * <ul>
 *   <li><b>Journal first.</b> Every write is appended to {@code <file>.journal} as a checksummed frame and forced
 *       to disk before the method returns; concurrent writers share one flush (group commit). The journal is the
 *       source of truth.</li>
 *   <li><b>MapDB is the index.</b> The same write is applied to the MapDB file {@code <file>}, which answers
 *       reads. It is committed in checkpoints (every {@link Builder#checkpointEvery(int)} records, and at close),
 *       bracketed by begin/end markers in the journal.</li>
 *   <li><b>Recovery at open.</b> MapDB 3.1 never replays its own write-ahead log, so a process killed inside its
 *       commit can leave the file unreadable. Here a checkpoint whose end marker is missing, or an index MapDB
 *       cannot read, is rebuilt from the journal (logged as a warning); an intact index is caught up from the
 *       records after its checkpoint. No acknowledged write is lost.</li>
 *   <li><b>Deletes are purged.</b> Deleting a session or memories writes a delete record; within
 *       {@link Builder#purgeDelay(Duration)} (default 1 minute), at {@link #close()}, or at the next open if the
 *       process stopped first, the journal and the index are rewritten without the deleted content.</li>
 *   <li><b>One process.</b> {@code <file>.lock} is locked while the store is open; a second open fails with
 *       {@link dev.agnomemory.core.storage.StoreLockedException}.</li>
 *   <li><b>Locking.</b> Writers are serialized (so one session's messages never interleave) and readers share a
 *       fair read/write lock with them: MapDB's newest-first reads race with its writers, and its commit starves
 *       under reads.</li>
 *   <li><b>Turns</b> ({@link #turns()}) are in process, as the store is: fair per-session lines, leases renewed
 *       while held ({@link Builder#turnLease(Duration)}), and writes through a turn checked against its epoch
 *       under the session's lease lock ({@code MapDbTurns}).</li>
 * </ul>
 *
 * <p>Thread-safe. A write that fails with an I/O error leaves the storage failed: later calls throw
 * {@link StorageException} until it is reopened, which recovers from the journal.
 */
public final class MapDbStorage implements MemoryStorage {

    private static final Logger log = LoggerFactory.getLogger(MapDbStorage.class);
    private static final int RUN_PAGE = 64;
    private static final int SNAPSHOT_BATCH = 256;

    private final StoreFiles files;
    private final Clock clock;
    private final int checkpointEvery;
    private final Duration purgeDelay;
    private final VolumeFactory volumes;

    /** Serializes writers, checkpoints and compaction; held while a write is journaled and indexed. */
    private final ReentrantLock writer = new ReentrantLock();
    /** Readers against index changes; fair so neither side starves. */
    private final ReentrantReadWriteLock indexLock = new ReentrantReadWriteLock(true);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ScheduledExecutorService maintenance;
    private final StoreLock lock;
    private final MapDbTurns leases;
    private final LeasedTurns turns;

    private Index index;
    private Journal journal;
    /** Journal lsn of the last record applied to the index, and of the last one the index committed. */
    private volatile long indexedLsn;
    private volatile long committedLsn;
    private volatile Throwable failure;
    private final AtomicBoolean checkpointScheduled = new AtomicBoolean();
    private final AtomicBoolean purgeScheduled = new AtomicBoolean();
    private volatile boolean purgePending;

    private MapDbStorage(Builder b) {
        this.leases = new MapDbTurns(this, b.clock, b.turnSettings.pollInterval());
        this.turns = new LeasedTurns(b.file == null ? "in-memory" : b.file.toString(), leases, this, leases,
                b.turnSettings);
        this.clock = b.clock;
        this.checkpointEvery = b.checkpointEvery;
        this.purgeDelay = b.purgeDelay;
        this.volumes = b.volumes;
        if (b.file == null) {
            this.files = null;
            this.lock = null;
            this.maintenance = null;
            this.index = Index.inMemory();
            return;
        }
        this.files = StoreFiles.of(b.file);
        this.lock = StoreLock.acquire(files.lock(), files.index());
        try {
            StoreOpener.Opened opened = new StoreOpener(files, volumes, b.createIfMissing).open();
            this.index = opened.index();
            this.journal = opened.journal();
            this.indexedLsn = journal.lastLsn();
            this.committedLsn = opened.committedLsn();
            this.purgePending = opened.purgePending();
        } catch (RuntimeException | Error e) {
            lock.releaseAfterFailedOpen();
            throw e;
        }
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "agno-memory-maintenance " + files.index().getFileName());
            t.setDaemon(true);
            return t;
        });
        // close() purges and checkpoints itself; a delayed purge must not hold it up.
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.maintenance = executor;
        if (purgePending) {
            log.info("Store {} has deleted content not yet purged from its files; purging now", files.index());
            schedulePurge(Duration.ZERO);
        }
        if (indexedLsn - committedLsn >= checkpointEvery) {
            scheduleCheckpoint();
        }
    }

    /**
     * Opens the store at {@code file} with default settings, creating it when neither the file nor its journal
     * exists.
     *
     * @param file the MapDB file; the journal and lock file are created beside it
     * @return the open storage
     * @throws dev.agnomemory.core.storage.StoreLockedException when another process has the store open
     * @throws dev.agnomemory.core.storage.StoreFormatException when the file is not a store this version can open
     */
    public static MapDbStorage open(Path file) {
        return builder().file(file).build();
    }

    /**
     * A storage that keeps everything in memory (MapDB's memory store), for tests and short-lived agents.
     *
     * @return the storage
     */
    public static MapDbStorage inMemory() {
        return builder().build();
    }

    /** @return a builder; without {@link Builder#file(Path)} it builds an in-memory storage */
    public static Builder builder() {
        return new Builder();
    }

    // ---- sessions ----

    @Override
    public Session getOrCreateSession(SessionKey key, String agentId) {
        Require.notNull(key, "key");
        if (agentId != null) {
            Require.notBlank(agentId, "agentId");
        }
        return write(() -> {
            SessionState existing = index.session(key);
            if (existing != null) {
                return Planned.of(List.of(), existing.toSession(key));
            }
            return Planned.then(List.of(new SessionCreated(key, index.nextSid(), agentId, clock.instant())),
                    () -> index.session(key).toSession(key));
        });
    }

    @Override
    public Optional<Session> session(SessionKey key) {
        Require.notNull(key, "key");
        return read(() -> Optional.ofNullable(index.session(key)).map(s -> s.toSession(key)));
    }

    @Override
    public OptionalLong sessionVersion(SessionKey key) {
        Require.notNull(key, "key");
        return read(() -> {
            SessionState s = index.session(key);
            return s == null ? OptionalLong.empty() : OptionalLong.of(s.version());
        });
    }

    @Override
    public Optional<Session> updateSessionData(SessionKey key, UnaryOperator<Map<String, String>> update) {
        Require.notNull(key, "key");
        Require.notNull(update, "update");
        return updateSession(key, s -> {
            Map<String, String> data = Require.copyOf(Require.notNull(update.apply(s.data()), "updated data"),
                    "updated data");
            return data.equals(s.data()) ? null : new SessionDataSet(key, data, clock.instant());
        });
    }

    @Override
    public Optional<Session> updateSessionState(SessionKey key, UnaryOperator<String> update) {
        Require.notNull(key, "key");
        Require.notNull(update, "update");
        return updateSession(key, s -> {
            String state = JsonText.requireObject(update.apply(s.state()), "updated state");
            return state.equals(s.state()) ? null : new SessionStateSet(key, state, clock.instant());
        });
    }

    @Override
    public Optional<Session> renameSession(SessionKey key, String name) {
        Require.notNull(key, "key");
        if (name != null) {
            Require.notBlank(name, "name");
        }
        return updateSession(key, s -> Objects.equals(name, s.name()) ? null
                : new SessionRenamed(key, name, clock.instant()));
    }

    /**
     * An atomic read-modify-write of one session: {@code change} gets the current state and returns the record that
     * changes it, or null for no change.
     */
    private Optional<Session> updateSession(SessionKey key, Function<SessionState, JournalRecord> change) {
        return write(() -> {
            SessionState s = index.session(key);
            if (s == null) {
                return Planned.of(List.of(), Optional.<Session>empty());
            }
            JournalRecord record = change.apply(s);
            return record == null ? Planned.of(List.of(), Optional.of(s.toSession(key)))
                    : Planned.then(List.of(record), () -> Optional.of(index.session(key).toSession(key)));
        });
    }

    @Override
    public List<Session> sessions(SessionFilter filter) {
        Require.notNull(filter, "filter");
        return read(() -> {
            List<Session> out = new ArrayList<>();
            index.forEachSession(filter.userId().orElse(null), (key, state) -> {
                if (filter.agentId().isEmpty() || filter.agentId().get().equals(state.agentId())) {
                    out.add(state.toSession(key));
                }
            });
            out.sort(NEWEST_FIRST);
            int from = Math.min(filter.offset(), out.size());
            return List.copyOf(out.subList(from, (int) Math.min(out.size(), (long) from + filter.limit())));
        });
    }

    private static final Comparator<Session> NEWEST_FIRST = Comparator.comparing(Session::updatedAt)
            .thenComparing(Session::createdAt).reversed()
            .thenComparing(Session::userId).thenComparing(Session::sessionId);

    @Override
    public boolean deleteSession(SessionKey key) {
        Require.notNull(key, "key");
        return write(() -> index.session(key) == null
                ? Planned.of(List.of(), false)
                : Planned.of(List.of(new SessionDeleted(key)), true));
    }

    // ---- runs ----

    @Override
    public List<MessagePosition> appendMessages(SessionKey key, String runId, List<Message> messages) {
        Require.notNull(key, "key");
        Require.notBlank(runId, "runId");
        List<Message> batch = Require.copyOf(Require.notNull(messages, "messages"), "messages");
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("messages must not be empty");
        }
        return write(() -> {
            SessionState s = existing(key);
            Instant now = clock.instant();
            List<JournalRecord> records = new ArrayList<>(batch.size() + 1);
            long sequence;
            int first;
            if (runId.equals(s.currentRunId())) {
                if (s.currentRunFinished()) {
                    throw new IllegalStateException("Run " + runId + " of " + describe(key)
                            + " is already finished; start a new run with a new run id");
                }
                sequence = s.runCount() - 1;
                first = s.currentRunMessages();
            } else {
                if (index.runSequence(s.sid(), runId) != null) {
                    throw new IllegalStateException("Run " + runId + " is an earlier run of " + describe(key)
                            + "; only the current run can take messages");
                }
                sequence = s.runCount();
                first = 0;
                records.add(new RunStarted(key, sequence, runId, now));
            }
            List<MessagePosition> positions = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                records.add(new MessageAppended(key, sequence, first + i, batch.get(i), now));
                positions.add(new MessagePosition(sequence, first + i));
            }
            return Planned.of(records, List.copyOf(positions));
        });
    }

    @Override
    public void finishRun(SessionKey key, String runId, RunOutcome outcome) {
        Require.notNull(key, "key");
        Require.notBlank(runId, "runId");
        Require.notNull(outcome, "outcome");
        write(() -> {
            SessionState s = existing(key);
            if (!runId.equals(s.currentRunId())) {
                throw new IllegalStateException("Run " + runId + " is not the current run of " + describe(key)
                        + (s.currentRunId() == null ? " (it has no runs)" : " (that is " + s.currentRunId() + ")"));
            }
            if (s.currentRunFinished()) {
                return Planned.of(List.of(), null);
            }
            return Planned.of(List.of(new RunFinished(key, s.runCount() - 1, outcome, clock.instant())), null);
        });
    }

    @Override
    public List<Run> lastRuns(SessionKey key, int n) {
        Require.notNull(key, "key");
        Require.positive(n, "n");
        return read(() -> {
            SessionState s = index.session(key);
            if (s == null) {
                return List.of();
            }
            return loadRuns(key, s.sid(), index.runs(s.sid(), Math.max(0, s.runCount() - n), s.runCount()));
        });
    }

    @Override
    public List<Run> lastCompletedRuns(SessionKey key, int n) {
        Require.notNull(key, "key");
        Require.positive(n, "n");
        return read(() -> {
            SessionState s = index.session(key);
            if (s == null) {
                return List.of();
            }
            // Walk back in windows: runs cut off by a crash are rare, so this reads about n headers.
            List<Map.Entry<Long, RunState>> picked = new ArrayList<>();
            long to = s.runCount();
            while (to > 0 && picked.size() < n) {
                long from = Math.max(0, to - (n - picked.size()));
                List<Map.Entry<Long, RunState>> window = index.runs(s.sid(), from, to);
                for (int i = window.size() - 1; i >= 0 && picked.size() < n; i--) {
                    if (window.get(i).getValue().status() == RunStatus.COMPLETED) {
                        picked.add(0, window.get(i));
                    }
                }
                to = from;
            }
            return loadRuns(key, s.sid(), picked);
        });
    }

    @Override
    public Stream<Run> runs(SessionKey key) {
        Require.notNull(key, "key");
        Long sid = read(() -> Optional.ofNullable(index.session(key)).map(SessionState::sid).orElse(null));
        if (sid == null) {
            return Stream.empty();
        }
        return StreamSupport.stream(new Spliterators.AbstractSpliterator<Run>(Long.MAX_VALUE,
                Spliterator.ORDERED | Spliterator.NONNULL) {
            private long next;
            private List<Run> page = List.of();
            private int position;

            @Override
            public boolean tryAdvance(Consumer<? super Run> action) {
                if (position == page.size()) {
                    long from = next;
                    page = read(() -> loadRuns(key, sid, index.runs(sid, from, from + RUN_PAGE)));
                    position = 0;
                    if (page.isEmpty()) {
                        return false;
                    }
                    next = page.get(page.size() - 1).sequence() + 1;
                }
                action.accept(page.get(position++));
                return true;
            }
        }, false);
    }

    @Override
    public List<Message> messagesBetween(SessionKey key, MessagePosition from, MessagePosition to) {
        Require.notNull(key, "key");
        Require.notNull(from, "from");
        Require.notNull(to, "to");
        if (to.compareTo(from) < 0) {
            throw new IllegalArgumentException("to (" + to + ") must not be before from (" + from + ")");
        }
        return read(() -> {
            SessionState s = index.session(key);
            return s == null ? List.<Message>of() : index.messagesBetween(s.sid(), from, to);
        });
    }

    private List<Run> loadRuns(SessionKey key, long sid, List<Map.Entry<Long, RunState>> headers) {
        List<Run> out = new ArrayList<>(headers.size());
        for (Map.Entry<Long, RunState> h : headers) {
            RunState r = h.getValue();
            out.add(new Run(r.runId(), key, h.getKey(), r.startedAt(), Optional.ofNullable(r.finishedAt()),
                    index.messages(sid, h.getKey()), r.status(), Optional.ofNullable(r.error()), r.metrics()));
        }
        return out;
    }

    // ---- summaries ----

    @Override
    public boolean saveSummary(SessionKey key, SessionSummary summary) {
        Require.notNull(key, "key");
        Require.notNull(summary, "summary");
        return write(() -> index.session(key) == null
                ? Planned.of(List.of(), false)
                : Planned.of(List.of(new SummarySaved(key, summary, clock.instant())), true));
    }

    // ---- memories ----

    @Override
    public void saveMemory(UserMemory memory, MemoryChangeCause cause) {
        Require.notNull(memory, "memory");
        Require.notNull(cause, "cause");
        write(() -> {
            UserMemory before = index.memory(memory.userId(), memory.memoryId());
            if (memory.equals(before)) {
                return Planned.of(List.of(), null);
            }
            MemoryChange change = MemoryChange.between(before, memory, clock.instant(), cause);
            return Planned.of(List.of(new MemorySaved(memory, change)), null);
        });
    }

    @Override
    public long memoriesVersion(String userId) {
        Require.notBlank(userId, "userId");
        return read(() -> index.memoriesVersion(userId));
    }

    @Override
    public List<MemoryChange> memoryHistory(String userId, String memoryId) {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        return read(() -> index.memoryHistory(userId, memoryId));
    }

    @Override
    public Optional<UserMemory> memory(String userId, String memoryId) {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        return read(() -> Optional.ofNullable(index.memory(userId, memoryId)));
    }

    @Override
    public List<UserMemory> memories(String userId) {
        Require.notBlank(userId, "userId");
        return read(() -> {
            List<UserMemory> out = index.memories(userId);
            out.sort(Comparator.comparing(UserMemory::createdAt).thenComparing(UserMemory::memoryId));
            return out;
        });
    }

    @Override
    public boolean deleteMemory(String userId, String memoryId, MemoryChangeCause cause) {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        Require.notNull(cause, "cause");
        return write(() -> {
            UserMemory before = index.memory(userId, memoryId);
            if (before == null) {
                return Planned.of(List.of(), false);
            }
            MemoryChange change = MemoryChange.between(before, null, clock.instant(), cause);
            return Planned.of(List.of(new MemoryDeleted(userId, memoryId, change)), true);
        });
    }

    @Override
    public int deleteMemories(String userId) {
        Require.notBlank(userId, "userId");
        return write(() -> {
            int count = index.memories(userId).size();
            return index.hasMemoryData(userId)
                    ? Planned.of(List.of(new UserMemoriesDeleted(userId)), count)
                    : Planned.of(List.of(), 0);
        });
    }

    @Override
    public boolean saveMemoryEmbedding(MemoryEmbedding embedding) {
        Require.notNull(embedding, "embedding");
        return write(() -> index.memory(embedding.userId(), embedding.memoryId()) == null
                ? Planned.of(List.of(), false)
                : Planned.of(List.of(new JournalRecord.EmbeddingSaved(embedding)), true));
    }

    @Override
    public List<MemoryEmbedding> memoryEmbeddings(String userId) {
        Require.notBlank(userId, "userId");
        return read(() -> index.embeddings(userId));
    }

    // ---- turns ----

    @Override
    public SessionTurns turns() {
        if (closed.get()) {
            throw new IllegalStateException("The storage " + name() + " is closed");
        }
        return turns;
    }

    /** @return how many sessions have turn state now, in the line and in the leases (for tests: bounded) */
    int sessionsWithTurnState() {
        return turns.sessionsInUse() + leases.leases();
    }

    // ---- maintenance ----

    /**
     * Commits the index now, so the next open has fewer journal records to replay. Runs on its own every
     * {@link Builder#checkpointEvery(int)} records and at close; calling it is never needed for durability.
     */
    public void checkpoint() {
        writer.lock();
        try {
            ensureUsable();
            checkpointLocked();
        } finally {
            writer.unlock();
        }
    }

    /**
     * Rewrites the journal and the MapDB file with only the live data, so deleted sessions and memories (and old
     * versions of changed values) are gone from every file of the store. Runs on its own after deletes; see
     * {@link Builder#purgeDelay(Duration)}. Writers wait while it runs; it takes time proportional to the store.
     */
    public void compact() {
        writer.lock();
        try {
            ensureUsable();
            if (journal == null) {
                return;
            }
            compactLocked();
        } finally {
            writer.unlock();
        }
    }

    /** @return the MapDB file of this store, or empty for an in-memory storage */
    public Optional<Path> file() {
        return files == null ? Optional.empty() : Optional.of(files.index());
    }

    /**
     * Closes the store: purges deleted content that is still pending, commits the index, and releases the files.
     * Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        turns.close();
        if (maintenance != null) {
            // Not shutdownNow(): an interrupt would abort file I/O half way.
            maintenance.shutdown();
            try {
                if (!maintenance.awaitTermination(1, TimeUnit.MINUTES)) {
                    log.warn("Background maintenance of {} did not stop within a minute", files.index());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        writer.lock();
        try {
            if (failure == null && journal != null) {
                try {
                    if (purgePending) {
                        compactLocked();
                    }
                    checkpointLocked();
                } catch (RuntimeException e) {
                    log.error("Could not finish {} cleanly; the journal has every acknowledged write and the next "
                            + "open recovers from it", files.index(), e);
                }
            }
            closeQuietly(index);
            closeQuietly(journal);
        } finally {
            if (lock != null) {
                lock.release();
            }
            writer.unlock();
        }
    }

    // ---- the write path ----

    /**
     * Journal records a write decided on, and how to get the value the call returns: computed when planning, or
     * read from the index once the records are applied (for values the index derives, such as versions).
     */
    private record Planned<T>(List<JournalRecord> records, Supplier<T> result) {
        static <T> Planned<T> of(List<JournalRecord> records, T result) {
            return new Planned<>(records, () -> result);
        }

        static <T> Planned<T> then(List<JournalRecord> records, Supplier<T> afterApply) {
            return new Planned<>(records, afterApply);
        }
    }

    /**
     * Decides a write against the current index state, journals it, applies it to the index, and returns once it
     * is durable. Writers are serialized; the flush happens outside the writer lock so that concurrent writers
     * share it.
     */
    private <T> T write(Supplier<Planned<T>> plan) {
        T result;
        long lsn = 0;
        boolean removes = false;
        writer.lock();
        try {
            ensureUsable();
            Planned<T> planned = plan.get();
            if (planned.records().isEmpty()) {
                return planned.result().get();
            }
            if (journal != null) {
                lsn = journal.append(planned.records());
            }
            indexLock.writeLock().lock();
            try {
                for (JournalRecord r : planned.records()) {
                    index.apply(r);
                    removes |= r.removesContent();
                }
                indexedLsn = lsn;
                result = planned.result().get();
            } catch (RuntimeException e) {
                throw fail("Applying a journaled write to the index failed", e);
            } finally {
                indexLock.writeLock().unlock();
            }
        } finally {
            writer.unlock();
        }
        if (journal != null) {
            try {
                journal.sync(lsn);
            } catch (StorageException e) {
                throw fail("Flushing the journal failed", e);
            }
            afterWrite(removes);
        }
        return result;
    }

    private <T> T read(Supplier<T> reader) {
        indexLock.readLock().lock();
        try {
            ensureUsable();
            return reader.get();
        } finally {
            indexLock.readLock().unlock();
        }
    }

    private void afterWrite(boolean removedContent) {
        if (removedContent) {
            purgePending = true;
            schedulePurge(purgeDelay);
        }
        if (indexedLsn - committedLsn >= checkpointEvery) {
            scheduleCheckpoint();
        }
    }

    /**
     * At most one checkpoint is scheduled at a time; the flag is cleared only after it ran, and the task checks
     * under the writer lock that a checkpoint is still due, so writers finishing meanwhile do not queue another.
     */
    private void scheduleCheckpoint() {
        if (checkpointScheduled.compareAndSet(false, true)) {
            submit(() -> {
                try {
                    writer.lock();
                    try {
                        ensureUsable();
                        if (indexedLsn - committedLsn >= checkpointEvery) {
                            checkpointLocked();
                        }
                    } finally {
                        writer.unlock();
                    }
                } finally {
                    checkpointScheduled.set(false);
                }
            }, Duration.ZERO);
        }
    }

    /**
     * Deletes within the delay share one compaction. The flag is cleared when the compaction starts, so a delete
     * that arrives while one runs schedules the next.
     */
    private void schedulePurge(Duration delay) {
        if (purgeScheduled.compareAndSet(false, true)) {
            submit(() -> {
                purgeScheduled.set(false);
                compact();
            }, delay);
        }
    }

    private void submit(Runnable task, Duration delay) {
        if (closed.get()) {
            return;
        }
        try {
            maintenance.schedule(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    if (!closed.get()) {
                        log.error("Background maintenance of {} failed", files.index(), e);
                    }
                }
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing: close() purges and checkpoints itself
        }
    }

    private void checkpointLocked() {
        if (journal == null || indexedLsn == committedLsn) {
            return;
        }
        long covered = indexedLsn;
        try {
            journal.sync(journal.append(List.of(new JournalRecord.CheckpointBegin(covered))));
            indexLock.writeLock().lock();
            try {
                index.setCheckpoint(journal.generation(), covered);
                index.commit();
            } finally {
                indexLock.writeLock().unlock();
            }
            journal.sync(journal.append(List.of(new JournalRecord.CheckpointEnd(covered))));
            // The markers are journal records too; the index has nothing to apply for them.
            indexedLsn = journal.lastLsn();
            committedLsn = indexedLsn;
        } catch (RuntimeException e) {
            throw fail("Checkpoint failed", e);
        }
    }

    private void compactLocked() {
        purgePending = false;
        Compaction.Result result;
        try {
            result = new Compaction(files, volumes).run(index, journal.generation() + 1, indexLock);
        } catch (RuntimeException e) {
            purgePending = true;
            throw e;
        }
        indexLock.writeLock().lock();
        try {
            closeQuietly(index);
            closeQuietly(journal);
            index = null;
            journal = null;
            Compaction.Swapped swapped = result.swapIn();
            index = swapped.index();
            journal = swapped.journal();
            indexedLsn = journal.lastLsn();
            committedLsn = indexedLsn;
            log.info("Compacted {}: deleted content purged, journal now {} bytes", files.index(), journal.size());
        } catch (RuntimeException e) {
            throw fail("Compaction could not swap in the rewritten files; reopen the store to recover", e);
        } finally {
            indexLock.writeLock().unlock();
        }
    }

    private SessionState existing(SessionKey key) {
        SessionState s = index.session(key);
        if (s == null) {
            throw new IllegalStateException("There is no " + describe(key) + "; create it with getOrCreateSession");
        }
        return s;
    }

    private void ensureUsable() {
        if (closed.get()) {
            throw new IllegalStateException("The storage " + name() + " is closed");
        }
        Throwable f = failure;
        if (f != null) {
            throw new StorageException("The storage " + name() + " failed earlier (" + f.getMessage()
                    + ") and accepts no more calls; reopen it to recover from its journal", f);
        }
    }

    private StorageException fail(String what, RuntimeException e) {
        failure = e;
        log.error("{} on {}; the storage stops accepting calls, reopen it to recover from the journal", what, name(),
                e);
        return e instanceof StorageException se ? se : new StorageException(what + " on " + name(), e);
    }

    private String name() {
        return files == null ? "in-memory" : files.index().toString();
    }

    private static String describe(SessionKey key) {
        return "session " + key.sessionId() + " of user " + key.userId();
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            log.warn("Closing {} failed", c, e);
        }
    }

    /** Configures a {@link MapDbStorage}; validation happens in {@link #build()}. */
    public static final class Builder {
        private Path file;
        private Clock clock = Clock.systemUTC();
        private int checkpointEvery = 10_000;
        private Duration purgeDelay = Duration.ofMinutes(1);
        // RandomAccessFile volumes, one system call per value (MapDB's RandomAccessFileVol makes one per byte);
        // still not interruptible: MapDB's FileChannel volume dies when a reading thread is interrupted.
        private VolumeFactory volumes = BufferedRandomAccessFileVol.FACTORY;
        private boolean createIfMissing = true;
        private Duration turnLease = TurnSettings.DEFAULT_LEASE;
        private Duration turnPollInterval = TurnSettings.DEFAULT_POLL_INTERVAL;
        private ScheduledExecutorService turnScheduler;
        private TurnSettings turnSettings;

        private Builder() {
        }

        /**
         * @param lease how long a session's turn stays held when it is not renewed (default 30 seconds, at least
         *     300 ms); the storage renews held turns every third of it. In one process this matters only for a
         *     turn whose renewals stop
         * @return this builder
         */
        public Builder turnLease(Duration lease) {
            this.turnLease = lease;
            return this;
        }

        /**
         * @param interval how often the first waiter for a turn checks on its own whether the holder's lease ran
         *     out (default 1 second; a release wakes it at once)
         * @return this builder
         */
        public Builder turnPollInterval(Duration interval) {
            this.turnPollInterval = interval;
            return this;
        }

        /**
         * @param scheduler where turn renewals run (default: a daemon thread of the storage's own, started with
         *     the first turn); the storage does not shut a given scheduler down
         * @return this builder
         */
        public Builder turnScheduler(ScheduledExecutorService scheduler) {
            this.turnScheduler = scheduler;
            return this;
        }

        /**
         * @param create whether {@link #build()} creates a new store when there is none at the file (default
         *     true); tools that only inspect stores pass false and get a {@link StorageException} instead
         * @return this builder
         */
        public Builder createIfMissing(boolean create) {
            this.createIfMissing = create;
            return this;
        }

        /**
         * @param file the MapDB file of the store; without it the storage is in memory
         * @return this builder
         */
        public Builder file(Path file) {
            this.file = file;
            return this;
        }

        /**
         * @param clock the clock for session, run and update times (default UTC system clock)
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * @param records after how many journal records the index is committed (default 10,000); fewer means
         *     faster opens after a crash, more means fewer pauses
         * @return this builder
         */
        public Builder checkpointEvery(int records) {
            this.checkpointEvery = records;
            return this;
        }

        /**
         * @param delay how long after a delete the files are rewritten without the deleted content (default 1
         *     minute); deletes within the delay share one rewrite
         * @return this builder
         */
        public Builder purgeDelay(Duration delay) {
            this.purgeDelay = delay;
            return this;
        }

        /** For tests: how MapDB opens the index file's volumes (fault injection). */
        Builder volumeFactory(VolumeFactory volumes) {
            this.volumes = volumes;
            return this;
        }

        /**
         * Opens or creates the store.
         *
         * @return the storage
         * @throws IllegalArgumentException when a setting is invalid
         * @throws dev.agnomemory.core.storage.StoreLockedException when another process has the store open
         * @throws dev.agnomemory.core.storage.StoreFormatException when the file is not a store this version can
         *     open
         */
        public MapDbStorage build() {
            Require.notNull(clock, "clock");
            Require.positive(checkpointEvery, "checkpointEvery");
            Require.notNull(purgeDelay, "purgeDelay");
            if (purgeDelay.isNegative()) {
                throw new IllegalArgumentException("purgeDelay must not be negative, but is " + purgeDelay);
            }
            Require.notNull(volumes, "volumeFactory");
            turnSettings = TurnSettings.of(turnLease, turnPollInterval, turnScheduler);
            return new MapDbStorage(this);
        }
    }
}
