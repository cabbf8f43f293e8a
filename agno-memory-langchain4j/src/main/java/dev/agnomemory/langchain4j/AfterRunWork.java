package dev.agnomemory.langchain4j;

import dev.agnomemory.core.MemoryChangeCause;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.Run;
import dev.agnomemory.core.Session;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.MemoryStorage;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory work after a completed run: user memories from what the user said, then the session summary.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>Where.</b> On the caller's thread by default (the call returns after it), or on one background thread
 *       with a bounded queue ({@code afterRunInBackground}). A full queue makes the caller do the work; so does a
 *       closed provider (with a warning, once). Work is never dropped.</li>
 *   <li><b>Memories catch up.</b> Each session keeps a cursor in its data ({@value #MEMORIES_CURSOR_KEY}): the last
 *       run the memory model examined. After a run, the finished runs after the cursor (at most
 *       {@value #MAX_RUNS_PER_UPDATE}, the newest; a run still in progress waits for its own turn) go to the model
 *       in one request, with what the user said in the completed ones, and the cursor moves only when that
 *       succeeded; so a failed extraction is retried after the next run, also after a restart. A session without a
 *       cursor starts with the run that completed.</li>
 *   <li><b>Summary catches up</b> the same way, by the summary's own {@code lastRunSequence}
 *       ({@link SessionSummarizer}).</li>
 *   <li><b>Failures</b> never reach the user's call: an unusable model answer is logged as a warning with what was
 *       wrong, anything else with its stack trace, once each.</li>
 * </ul>
 */
final class AfterRunWork implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AfterRunWork.class);

    /** Session data key: the sequence of the last run the memory model examined. */
    static final String MEMORIES_CURSOR_KEY = "agno.memories_cursor";
    static final int MAX_RUNS_PER_UPDATE = 10;

    private final MemoryStorage storage;
    private final MemoryManager memoryManager;
    private final SessionSummarizer summarizer;
    private final ThreadPoolExecutor background;
    private final Duration closeWait;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean warnedClosed = new AtomicBoolean();

    /**
     * @param memoryManager null when user memories are not updated after runs
     * @param summarizer null when the summary is not updated after runs
     * @param queue the background queue size, or 0 to work on the caller's thread
     */
    AfterRunWork(MemoryStorage storage, MemoryManager memoryManager, SessionSummarizer summarizer, int queue,
            Duration closeWait) {
        this.storage = storage;
        this.memoryManager = memoryManager;
        this.summarizer = summarizer;
        this.closeWait = closeWait;
        if (queue > 0 && hasWork()) {
            // Full queue, or shut down: the submitting thread runs the work itself.
            background = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue),
                    r -> {
                        Thread t = new Thread(r, "agno-memory-after-run");
                        t.setDaemon(true);
                        return t;
                    }, (work, executor) -> work.run());
        } else {
            background = null;
        }
    }

    boolean hasWork() {
        return memoryManager != null || summarizer != null;
    }

    /** A run of the session completed. */
    void runCompleted(SessionKey key, String runId) {
        if (!hasWork()) {
            return;
        }
        Runnable work = () -> {
            if (memoryManager != null) {
                updateMemories(key, runId);
            }
            if (summarizer != null) {
                updateSummary(key);
            }
        };
        if (background == null) {
            work.run();
        } else {
            if (closed.get() && warnedClosed.compareAndSet(false, true)) {
                log.warn("The memory provider is closed; after-run memory work (after run {} of {}) now runs on the "
                        + "caller's thread", runId, key);
            }
            background.execute(work);
        }
    }

    private void updateMemories(SessionKey key, String completedRunId) {
        Optional<Session> session = storage.session(key);
        if (session.isEmpty() || session.get().runCount() == 0) {
            return;
        }
        long newest = session.get().runCount() - 1;
        Optional<Long> stored = cursor(session.get());
        long cursor = stored.orElseGet(() -> justBefore(key, completedRunId, newest));
        if (stored.isEmpty()) {
            moveCursor(key, cursor); // work queued behind this one continues from here, whatever it reads
        }
        if (newest - cursor > MAX_RUNS_PER_UPDATE) {
            log.debug("{} runs of {} were not examined for memories; the newest {} are", newest - cursor, key,
                    MAX_RUNS_PER_UPDATE);
            cursor = newest - MAX_RUNS_PER_UPDATE;
        }
        List<Run> runs = RunsAfter.read(storage, key, cursor, newest - cursor);
        if (!runs.isEmpty() && !runs.get(runs.size() - 1).status().isFinished()) {
            runs.remove(runs.size() - 1); // a call in progress: examined after it finishes
        }
        if (runs.isEmpty()) {
            return;
        }
        long last = runs.get(runs.size() - 1).sequence();
        List<String> said = runs.stream().filter(Run::completed).map(AfterRunWork::userText)
                .filter(t -> t != null && !t.isBlank()).toList();
        String lastRunId = runs.get(runs.size() - 1).runId();
        if (!said.isEmpty()) {
            try {
                memoryManager.updateFromMessages(key.userId(), said,
                        MemoryChangeCause.memoryModel(key.sessionId(), lastRunId));
            } catch (MalformedModelOutputException e) {
                log.warn("The memory model's answer for user {} after run {} of {} was unusable ({}); those runs are "
                        + "examined again after the next run", key.userId(), lastRunId, key, e.getMessage());
                return;
            } catch (RuntimeException e) {
                log.warn("Updating the memories of user {} after run {} of {} failed; those runs are examined again "
                        + "after the next run", key.userId(), lastRunId, key, e);
                return;
            }
        }
        moveCursor(key, last);
    }

    /** Records that the runs up to {@code examined} were examined; the cursor never moves back. */
    private void moveCursor(SessionKey key, long examined) {
        String value = String.valueOf(examined);
        storage.updateSessionData(key, data -> {
            Map<String, String> next = new HashMap<>(data);
            next.merge(MEMORIES_CURSOR_KEY, value, (old, now) -> Long.parseLong(now) > parse(old) ? now : old);
            return next;
        });
    }

    private void updateSummary(SessionKey key) {
        try {
            summarizer.update(key);
        } catch (MalformedModelOutputException e) {
            log.warn("The summarizer's answer for {} was unusable ({}); the previous summary is kept and the runs "
                    + "are summarized after the next run", key, e.getMessage());
        } catch (RuntimeException e) {
            log.warn("Updating the summary of {} failed; the previous summary is kept and the runs are summarized "
                    + "after the next run", key, e);
        }
    }

    /** Without a cursor, the session starts with the run that completed (the work may run a few runs later). */
    private long justBefore(SessionKey key, String runId, long last) {
        for (Run run : storage.lastRuns(key, MAX_RUNS_PER_UPDATE)) {
            if (run.runId().equals(runId)) {
                return run.sequence() - 1;
            }
        }
        return last - 1;
    }

    private static Optional<Long> cursor(Session session) {
        String value = session.data().get(MEMORIES_CURSOR_KEY);
        return value == null ? Optional.empty() : Optional.of(parse(value));
    }

    private static long parse(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String userText(Run run) {
        return StoredMessages.question(StoredMessages.effective(run.messages())).map(Message::content).orElse(null);
    }

    /** Finishes the queued work, waiting at most the close limit; later work runs on the callers' threads. */
    @Override
    public void close() {
        if (background == null || !closed.compareAndSet(false, true)) {
            return;
        }
        background.shutdown();
        try {
            if (!background.awaitTermination(closeWait.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("After-run memory work still running {} after close; {} queued runs are done in the "
                        + "background unless the process exits first", closeWait, background.getQueue().size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
