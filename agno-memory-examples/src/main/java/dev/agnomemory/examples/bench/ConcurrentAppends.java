package dev.agnomemory.examples.bench;

import dev.agnomemory.core.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code threads} threads appending runs at once, each to its own session of one shared store, and one thread
 * appending to the same store, for the reference.
 */
final class ConcurrentAppends implements AutoCloseable {

    private final AgnoStore store;
    private final int threads;
    private final ExecutorService pool;
    private long textCursor = 1_000_000;

    ConcurrentAppends(AgnoStore store, int threads) {
        this.store = store;
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "bench-writer");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Every thread appends {@code runsPerThread} runs to its session; returns the wall time from the common start
     * until the last thread is done, in nanoseconds.
     */
    long round(int runsPerThread, TextPool texts) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int session = t;
            Message[][] runs = new Message[runsPerThread][];
            for (int r = 0; r < runsPerThread; r++) {
                runs[r] = AgnoStore.runMessages(texts, textCursor);
                textCursor += 4;
            }
            futures.add(pool.submit(() -> {
                ready.countDown();
                start.await();
                for (Message[] run : runs) {
                    store.appendRunTo(session, run);
                }
                return null;
            }));
        }
        ready.await();
        long t0 = System.nanoTime();
        start.countDown();
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("A writer thread failed", e.getCause());
            }
        }
        return System.nanoTime() - t0;
    }

    /**
     * One thread appends {@code runs} runs to the first session of the same store: the single-thread reference for
     * {@link #round}, on the same store, files and session shape. Returns the wall time in nanoseconds.
     */
    long singleThread(int runs, TextPool texts) {
        Message[][] prepared = new Message[runs][];
        for (int r = 0; r < runs; r++) {
            prepared[r] = AgnoStore.runMessages(texts, textCursor);
            textCursor += 4;
        }
        long t0 = System.nanoTime();
        for (Message[] run : prepared) {
            store.appendRunTo(0, run);
        }
        return System.nanoTime() - t0;
    }

    int threads() {
        return threads;
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
