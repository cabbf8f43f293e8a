package dev.agnomemory.langchain4j;

import dev.agnomemory.core.SessionKey;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory work after a run: user memories from the user's message, then the session summary. Runs on the
 * caller's thread by default (deterministic), or on one background thread with a bounded queue so the user's
 * reply is not delayed; when the queue is full the caller does the work itself, so nothing is dropped. A failure
 * is logged and never reaches the user's call. {@link #close()} finishes the queued work (up to a time limit).
 */
final class AfterRunWork implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AfterRunWork.class);

    private final MemoryManager memoryManager;
    private final SessionSummarizer summarizer;
    private final ThreadPoolExecutor background;
    private final Duration closeWait;

    /**
     * @param memoryManager null when user memories are not updated after runs
     * @param summarizer null when the summary is not updated after runs
     * @param queue the background queue size, or 0 to work on the caller's thread
     */
    AfterRunWork(MemoryManager memoryManager, SessionSummarizer summarizer, int queue, Duration closeWait) {
        this.memoryManager = memoryManager;
        this.summarizer = summarizer;
        this.closeWait = closeWait;
        if (queue > 0 && (memoryManager != null || summarizer != null)) {
            background = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue),
                    r -> {
                        Thread t = new Thread(r, "agno-memory-after-run");
                        t.setDaemon(true);
                        return t;
                    }, new ThreadPoolExecutor.CallerRunsPolicy());
        } else {
            background = null;
        }
    }

    boolean hasWork() {
        return memoryManager != null || summarizer != null;
    }

    void runCompleted(SessionKey key, String userMessage) {
        if (!hasWork()) {
            return;
        }
        Runnable work = () -> {
            if (memoryManager != null && userMessage != null && !userMessage.isBlank()) {
                try {
                    memoryManager.updateFromMessage(key.userId(), userMessage);
                } catch (RuntimeException e) {
                    log.warn("Updating the memories of user {} after a run failed; the run itself is stored: {}",
                            key.userId(), e.toString());
                }
            }
            if (summarizer != null) {
                try {
                    summarizer.update(key);
                } catch (RuntimeException e) {
                    log.warn("Updating the summary of session {} failed; the previous summary is kept: {}", key,
                            e.toString());
                }
            }
        };
        if (background == null) {
            work.run();
        } else {
            background.execute(work);
        }
    }

    @Override
    public void close() {
        if (background == null) {
            return;
        }
        background.shutdown();
        try {
            if (!background.awaitTermination(closeWait.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("After-run memory work still running {} after close; {} queued tasks were not done",
                        closeWait, background.getQueue().size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
