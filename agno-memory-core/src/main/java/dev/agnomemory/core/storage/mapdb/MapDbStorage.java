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
import dev.agnomemory.core.internal.LeasedTurns;
import dev.agnomemory.core.internal.Require;
import dev.agnomemory.core.internal.TurnSettings;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.SessionFilter;
import dev.agnomemory.core.storage.SessionStamp;
import dev.agnomemory.core.storage.SessionTurns;
import dev.agnomemory.core.storage.StorageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.mapdb.volume.VolumeFactory;

/**
 * The embedded default {@link MemoryStorage}: a journal of its own, made crash-safe by checksums and forced writes,
 * with a MapDB file as the index that answers queries.
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
 *   <li><b>Journal first.</b> Every write is a checksummed frame in the journal ({@code <file>.journal-NNNNNNNN}
 *       segments), forced to disk ({@code fdatasync}) before the method returns; concurrent writers share one flush
 *       (group commit). The journal is the source of truth and holds each message's text once.</li>
 *   <li><b>MapDB is the index.</b> Recent writes are held in memory; checkpoints (every
 *       {@link Builder#checkpointEvery(int)} records, and at close) write them into the MapDB file {@code <file>},
 *       which keeps where each message is in the journal, with a checksum on every value.</li>
 *   <li><b>Open.</b> Reads the journal from the index's last checkpoint on, so opening takes time in proportion to
 *       what was written since, not to the store's history. An index that cannot be trusted (a checkpoint cut off,
 *       a damaged value) is rebuilt from the journal. Files that do not belong together (another store's index, a
 *       journal older than its index, damage in an acknowledged write) are refused with a
 *       {@link dev.agnomemory.core.storage.StoreFormatException}, nothing changed.</li>
 *   <li><b>Deletes are purged.</b> Deleting a session or memories removes them from reads at once and, within
 *       {@link Builder#purgeDelay(Duration)} (default 1 minute), at {@link #close()}, or at the next open if the
 *       process stopped first, from every file: a compaction rewrites the journal and the index in the background
 *       while writers go on.</li>
 *   <li><b>One writing process.</b> {@code <file>.lock} and the active journal segment are locked while the store
 *       is open; a second open fails with {@link dev.agnomemory.core.storage.StoreLockedException}.
 *       {@link #openReadOnly(Path)} reads a store without writing anything, also while another process writes
 *       it.</li>
 *   <li><b>Turns</b> ({@link #turns()}) are in process, as the store is: fair per-session lines, leases renewed
 *       while held ({@link Builder#turnLease(Duration)}), and writes through a turn checked against its epoch
 *       under the session's lease lock ({@code MapDbTurns}).</li>
 * </ul>
 *
 * <p>Thread-safe. A write that fails with an I/O error leaves the storage failed: later calls throw
 * {@link StorageException} until it is reopened, which recovers from the journal.
 */
public final class MapDbStorage implements MemoryStorage {

    private static final int RUN_PAGE = 64;
    private static final Comparator<Session> NEWEST_FIRST = Comparator.comparing(Session::updatedAt)
            .thenComparing(Session::createdAt).reversed()
            .thenComparing(Session::userId).thenComparing(Session::sessionId);

    private final Engine engine;
    private final StateView view;
    private final Path file;
    private final MapDbTurns leases;
    private final LeasedTurns turns;

    private MapDbStorage(Engine engine, Path file, Clock clock, TurnSettings turnSettings) {
        this.engine = engine;
        this.view = engine.view();
        this.file = file;
        this.leases = new MapDbTurns(this, clock, turnSettings.pollInterval());
        this.turns = new LeasedTurns(file == null ? "in-memory" : file.toString(), leases, this, leases,
                turnSettings);
    }

    /**
     * Opens the store at {@code file} with default settings, creating it when neither the file nor its journal
     * exists.
     *
     * @param file the MapDB file; the journal segments and the lock file are created beside it
     * @return the open storage
     * @throws dev.agnomemory.core.storage.StoreLockedException when another process has the store open
     * @throws dev.agnomemory.core.storage.StoreFormatException when the files are not a store this version can open
     */
    public static MapDbStorage open(Path file) {
        return builder().file(file).build();
    }

    /**
     * Opens an existing store for reading only: nothing is written, rebuilt or purged, so it works on read-only
     * media and while another process has the store open for writing. It reads the journal into memory (the places
     * of messages, not their text) and shows the store as it was when opened. Writes throw
     * {@link UnsupportedOperationException}.
     *
     * @param file the store's MapDB file, as the writing process names it
     * @return the storage
     * @throws StorageException when there is no store at {@code file}
     * @throws dev.agnomemory.core.storage.StoreFormatException when the files are not a store this version can read
     */
    public static MapDbStorage openReadOnly(Path file) {
        return builder().file(file).readOnly(true).build();
    }

    /**
     * A storage that keeps everything in memory, for tests and short-lived agents.
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
        return engine.write(p -> p.getOrCreateSession(key, agentId));
    }

    @Override
    public Optional<Session> session(SessionKey key) {
        Require.notNull(key, "key");
        return engine.read(() -> {
            SessionHead h = view.head(key);
            return h == null ? Optional.empty() : Optional.of(h.toSession(view.details(h.sid())));
        });
    }

    @Override
    public OptionalLong sessionVersion(SessionKey key) {
        Require.notNull(key, "key");
        return engine.read(() -> {
            SessionHead h = view.head(key);
            return h == null ? OptionalLong.empty() : OptionalLong.of(h.version());
        });
    }

    @Override
    public Optional<Session> updateSessionData(SessionKey key, UnaryOperator<Map<String, String>> update) {
        Require.notNull(key, "key");
        Require.notNull(update, "update");
        return engine.write(p -> p.updateSessionData(key, update));
    }

    @Override
    public Optional<Session> updateSessionState(SessionKey key, UnaryOperator<String> update) {
        Require.notNull(key, "key");
        Require.notNull(update, "update");
        return engine.write(p -> p.updateSessionState(key, update));
    }

    @Override
    public Optional<Session> renameSession(SessionKey key, String name) {
        Require.notNull(key, "key");
        if (name != null) {
            Require.notBlank(name, "name");
        }
        return engine.write(p -> p.renameSession(key, name));
    }

    @Override
    public List<Session> sessions(SessionFilter filter) {
        Require.notNull(filter, "filter");
        return engine.read(() -> {
            List<SessionHead> heads = new ArrayList<>();
            for (SessionHead h : view.heads(filter.userId().orElse(null))) {
                if (filter.agentId().isEmpty() || filter.agentId().get().equals(h.agentId())) {
                    heads.add(h);
                }
            }
            heads.sort(Comparator.comparing(SessionHead::updatedAt).thenComparing(SessionHead::createdAt).reversed()
                    .thenComparing(h -> h.key().userId()).thenComparing(h -> h.key().sessionId()));
            int from = Math.min(filter.offset(), heads.size());
            List<Session> out = new ArrayList<>();
            for (SessionHead h : heads.subList(from, (int) Math.min(heads.size(), (long) from + filter.limit()))) {
                out.add(h.toSession(view.details(h.sid())));
            }
            out.sort(NEWEST_FIRST);
            return List.copyOf(out);
        });
    }

    /** Reads the sessions' heads only (the default would read each session's details too). */
    @Override
    public List<SessionStamp> sessionStamps(String userId) {
        Require.notBlank(userId, "userId");
        return engine.read(() -> view.heads(userId).stream()
                .map(h -> new SessionStamp(h.key(), h.version(), h.createdAt())).toList());
    }

    @Override
    public boolean deleteSession(SessionKey key) {
        Require.notNull(key, "key");
        return engine.write(p -> p.deleteSession(key));
    }

    // ---- runs ----

    @Override
    public List<MessagePosition> appendMessages(SessionKey key, String runId, List<Message> messages) {
        Require.notNull(key, "key");
        Require.notBlank(runId, "runId");
        List<Message> batch = Require.nonEmptyCopyOf(messages, "messages");
        return engine.write(p -> p.appendMessages(key, runId, batch, null));
    }

    /**
     * {@inheritDoc}
     *
     * <p>The messages and the finish are one journal frame: a crash keeps both or neither.
     */
    @Override
    public List<MessagePosition> finishRun(SessionKey key, String runId, List<Message> lastMessages,
            RunOutcome outcome) {
        Require.notNull(key, "key");
        Require.notBlank(runId, "runId");
        List<Message> batch = Require.nonEmptyCopyOf(lastMessages, "lastMessages");
        Require.notNull(outcome, "outcome");
        return engine.write(p -> p.appendMessages(key, runId, batch, outcome));
    }

    @Override
    public void finishRun(SessionKey key, String runId, RunOutcome outcome) {
        Require.notNull(key, "key");
        Require.notBlank(runId, "runId");
        Require.notNull(outcome, "outcome");
        engine.write(p -> p.finishRun(key, runId, outcome));
    }

    @Override
    public List<Run> lastRuns(SessionKey key, int n) {
        Require.notNull(key, "key");
        Require.positive(n, "n");
        return engine.read(() -> {
            SessionHead h = view.head(key);
            return h == null ? List.of() : view.runs(key, h.sid(), Math.max(0, h.runCount() - n), h.runCount());
        });
    }

    @Override
    public List<Run> lastCompletedRuns(SessionKey key, int n) {
        Require.notNull(key, "key");
        Require.positive(n, "n");
        return engine.read(() -> {
            SessionHead h = view.head(key);
            if (h == null) {
                return List.of();
            }
            // Walk back in windows of headers: runs cut off by a crash are rare, so this reads about n of them.
            List<Long> picked = new ArrayList<>();
            long to = h.runCount();
            while (to > 0 && picked.size() < n) {
                long from = Math.max(0, to - (n - picked.size()));
                List<Map.Entry<Long, RunEntry>> window = new ArrayList<>(view.runEntries(h.sid(), from, to)
                        .entrySet());
                for (int i = window.size() - 1; i >= 0 && picked.size() < n; i--) {
                    if (window.get(i).getValue().state().status() == RunStatus.COMPLETED) {
                        picked.add(0, window.get(i).getKey());
                    }
                }
                to = from;
            }
            List<Run> out = new ArrayList<>(picked.size());
            for (long seq : picked) {
                out.addAll(view.runs(key, h.sid(), seq, seq + 1));
            }
            return out;
        });
    }

    /**
     * {@inheritDoc}
     *
     * <p>Each page is read under the store's read lock, as its own call; the stream ends early when the session is
     * deleted while it is consumed.
     */
    @Override
    public Stream<Run> runs(SessionKey key) {
        Require.notNull(key, "key");
        Long sid = engine.read(() -> view.sid(key));
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
                    page = engine.read(() -> {
                        Long current = view.sid(key);
                        SessionHead h = current == null || current.longValue() != sid ? null : view.head(sid);
                        return h == null ? List.<Run>of() : view.runs(key, sid, from, Math.min(h.runCount(),
                                from + RUN_PAGE));
                    });
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
        return engine.read(() -> {
            SessionHead h = view.head(key);
            if (h == null) {
                return List.<Message>of();
            }
            List<Message> out = new ArrayList<>();
            for (Run run : view.runs(key, h.sid(), from.runSequence(), Math.min(h.runCount(), to.runSequence() + 1))) {
                List<Message> messages = run.messages();
                int first = run.sequence() == from.runSequence() ? from.index() : 0;
                int last = run.sequence() == to.runSequence() ? Math.min(to.index(), messages.size() - 1)
                        : messages.size() - 1;
                for (int i = Math.max(0, first); i <= last; i++) {
                    out.add(messages.get(i));
                }
            }
            return out;
        });
    }

    // ---- summaries ----

    @Override
    public boolean saveSummary(SessionKey key, SessionSummary summary) {
        Require.notNull(key, "key");
        Require.notNull(summary, "summary");
        return engine.write(p -> p.saveSummary(key, summary));
    }

    // ---- memories ----

    @Override
    public void saveMemory(UserMemory memory, MemoryChangeCause cause) {
        Require.notNull(memory, "memory");
        Require.notNull(cause, "cause");
        engine.write(p -> p.saveMemory(memory, cause));
    }

    @Override
    public Optional<UserMemory> memory(String userId, String memoryId) {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        return engine.read(() -> Optional.ofNullable(view.memory(userId, memoryId)));
    }

    @Override
    public List<UserMemory> memories(String userId) {
        Require.notBlank(userId, "userId");
        return engine.read(() -> {
            List<UserMemory> out = new ArrayList<>(view.memories(userId).values());
            out.sort(Comparator.comparing(UserMemory::createdAt).thenComparing(UserMemory::memoryId));
            return out;
        });
    }

    @Override
    public long memoriesVersion(String userId) {
        Require.notBlank(userId, "userId");
        return engine.read(() -> view.memoriesVersion(userId));
    }

    @Override
    public List<MemoryChange> memoryHistory(String userId, String memoryId) {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        return engine.read(() -> List.copyOf(view.history(userId, memoryId).values()));
    }

    @Override
    public boolean deleteMemory(String userId, String memoryId, MemoryChangeCause cause) {
        Require.notBlank(userId, "userId");
        Require.notBlank(memoryId, "memoryId");
        Require.notNull(cause, "cause");
        return engine.write(p -> p.deleteMemory(userId, memoryId, cause));
    }

    @Override
    public int deleteMemories(String userId) {
        Require.notBlank(userId, "userId");
        return engine.write(p -> p.deleteMemories(userId));
    }

    @Override
    public boolean saveMemoryEmbedding(MemoryEmbedding embedding) {
        Require.notNull(embedding, "embedding");
        return engine.write(p -> p.saveMemoryEmbedding(embedding));
    }

    @Override
    public List<MemoryEmbedding> memoryEmbeddings(String userId) {
        Require.notBlank(userId, "userId");
        return engine.read(() -> List.copyOf(view.embeddings(userId).values()));
    }

    // ---- turns ----

    @Override
    public SessionTurns turns() {
        if (engine.closing()) {
            throw new IllegalStateException("The storage " + (file == null ? "in-memory" : file) + " is closed");
        }
        return turns;
    }

    /** @return how many sessions have turn state now, in the line and in the leases (for tests: bounded) */
    int sessionsWithTurnState() {
        return turns.sessionsInUse() + leases.leases();
    }

    // ---- maintenance ----

    /**
     * Writes the changes held in memory into the index now, so the next open has fewer journal records to read.
     * Runs on its own every {@link Builder#checkpointEvery(int)} records and at close; calling it is never needed for
     * durability. Does nothing for a storage in memory or opened read-only.
     */
    public void checkpoint() {
        engine.maintain("checkpoint", () -> maintenance().checkpoint());
    }

    /**
     * Rewrites the journal and the index without deleted sessions and memories (and old versions of changed values),
     * so they are gone from every file of the store. Runs on its own after deletes; see
     * {@link Builder#purgeDelay(Duration)}. Writers go on meanwhile; it takes time in proportion to the store. Does
     * nothing for a storage in memory or opened read-only.
     */
    public void compact() {
        engine.maintain("compaction", () -> maintenance().compact());
    }

    private Maintenance maintenance() {
        return engine.maintenance();
    }

    /** @return the MapDB file of this store, or empty for an in-memory storage */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** @return whether this storage was opened read-only */
    public boolean isReadOnly() {
        return engine.readOnly();
    }

    /**
     * Closes the store: waits for calls in progress, purges deleted content that is still pending, checkpoints, and
     * releases the files. Idempotent.
     */
    @Override
    public void close() {
        turns.close();
        engine.close();
    }

    /** Configures a {@link MapDbStorage}; validation happens in {@link #build()}. */
    public static final class Builder {
        private Path file;
        private Clock clock = Clock.systemUTC();
        private int checkpointEvery = 10_000;
        private Duration purgeDelay = Duration.ofMinutes(1);
        private boolean createIfMissing = true;
        private boolean readOnly;
        private long cacheBytes = 16L << 20;
        // RandomAccessFile volumes, one system call per value (MapDB's RandomAccessFileVol makes one per byte), with
        // page checksums; not interruptible: MapDB's FileChannel volume dies when a reading thread is interrupted.
        private VolumeFactory volumes = BufferedRandomAccessFileVol.CHECKSUMMED;
        private Scheduler scheduler;
        private long maxSegmentBytes = 64L << 20;
        private java.util.function.Consumer<String> stages = stage -> { };
        private Duration turnLease = TurnSettings.DEFAULT_LEASE;
        private Duration turnPollInterval = TurnSettings.DEFAULT_POLL_INTERVAL;
        private ScheduledExecutorService turnScheduler;

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
         * The store's file. Its journal segments, lock and MapDB's own files are created beside it: give the store a
         * directory of its own (the journal notices a deleted or replaced segment by its directory's time, and
         * checks more slowly, on every write, while other programs keep changing that directory).
         *
         * @param file the MapDB file of the store; without it the storage is in memory
         * @return this builder
         */
        public Builder file(Path file) {
            this.file = file;
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
         * @param readOnly whether to open an existing store for reading only (default false); see
         *     {@link MapDbStorage#openReadOnly(Path)}
         * @return this builder
         */
        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
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
         * @param records after how many journal records the changes held in memory are written into the index
         *     (default 10,000); fewer means less memory and faster opens after a crash, more means fewer index
         *     writes
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

        /**
         * @param bytes about how many bytes of recently read runs are kept decoded in memory for the next read
         *     (default 16 MiB; 0 keeps none)
         * @return this builder
         */
        public Builder cacheBytes(long bytes) {
            this.cacheBytes = bytes;
            return this;
        }

        /** For tests: how MapDB opens the index file's volumes (fault injection). */
        Builder volumeFactory(VolumeFactory volumes) {
            this.volumes = volumes;
            return this;
        }

        /** For tests: when background maintenance runs (default: a thread of the store's own). */
        Builder scheduler(Scheduler scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        /** For tests: told each step of a checkpoint or compaction as it completes (fault injection). */
        Builder stageListener(java.util.function.Consumer<String> listener) {
            this.stages = listener;
            return this;
        }

        /** For tests: the size at which the journal starts a new segment (default 64 MiB). */
        Builder maxSegmentBytes(long bytes) {
            this.maxSegmentBytes = bytes;
            return this;
        }

        /**
         * Opens or creates the store.
         *
         * @return the storage
         * @throws IllegalArgumentException when a setting is invalid
         * @throws dev.agnomemory.core.storage.StoreLockedException when another process has the store open
         * @throws dev.agnomemory.core.storage.StoreFormatException when the files are not a store this version can
         *     open
         */
        public MapDbStorage build() {
            Require.notNull(clock, "clock");
            Require.positive(checkpointEvery, "checkpointEvery");
            Require.notNull(purgeDelay, "purgeDelay");
            if (purgeDelay.isNegative()) {
                throw new IllegalArgumentException("purgeDelay must not be negative, but is " + purgeDelay);
            }
            Require.notNegative(cacheBytes, "cacheBytes");
            Require.notNull(volumes, "volumeFactory");
            TurnSettings turnSettings = TurnSettings.of(turnLease, turnPollInterval, turnScheduler);
            if (maxSegmentBytes < 64 * 1024) {
                throw new IllegalArgumentException("maxSegmentBytes must be at least 64 KiB, but is "
                        + maxSegmentBytes);
            }
            if (file == null) {
                if (readOnly) {
                    throw new IllegalArgumentException("readOnly needs a file");
                }
                StateView view = new StateView(new Overlay(true), null, null, 1, 1, cacheBytes);
                return new MapDbStorage(new Engine("in-memory", view, null, clock, 1, false, () -> { }), null, clock,
                        turnSettings);
            }
            StoreFiles files = StoreFiles.of(file);
            String name = files.index().toString();
            StoreOpener opener = new StoreOpener(files, volumes, createIfMissing, maxSegmentBytes, cacheBytes);
            if (readOnly) {
                if (Files.isDirectory(files.index())) {
                    throw new StorageException(files.index() + " is a directory, not a store file");
                }
                StoreOpener.Opened opened = IoThread.call("open " + name, opener::openReadOnly);
                return new MapDbStorage(new Engine(name, opened.view(), opened.journal(), clock, opened.nextLsn(),
                        true, () -> { }), files.index(), clock, turnSettings);
            }
            return IoThread.call("open " + name, () -> {
                files.requireWritable();
                StoreLock lock = StoreLock.acquire(files.lock(), files.index());
                StoreOpener.Opened opened;
                try {
                    opened = opener.open();
                } catch (RuntimeException | Error e) {
                    lock.releaseAfterFailedOpen();
                    throw e;
                }
                Engine engine = new Engine(name, opened.view(), opened.journal(), clock, opened.nextLsn(), false,
                        lock::release);
                Maintenance m = new Maintenance(engine, files, volumes, scheduler != null ? scheduler
                        : Scheduler.thread(files.index().getFileName().toString()), checkpointEvery, purgeDelay,
                        stages);
                engine.attach(m);
                m.start(opened.purgeLeftOver());
                return new MapDbStorage(engine, files.index(), clock, turnSettings);
            });
        }
    }
}
