package dev.agnomemory.examples.bench;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Write latency while one session is purged (issue 7): a writer thread appends runs to its own session of a large
 * store, one durable write at a time, and every call is timed. First {@code normalWrites} writes with nothing else
 * going on; then the main thread deletes another session (one of {@link OpenAndDisk#RUNS_PER_SESSION} runs) and
 * calls {@code compact()}, which rewrites the journal and builds a new index without it while the writer goes on;
 * the writes that start during the purge are counted apart. Afterwards the store is reopened and checked: the
 * deleted session is gone, every acknowledged run of the writer is there.
 */
final class PurgeLatency {

    final Samples normal = new Samples();
    final Samples duringPurge = new Samples();
    long purgeNanos;
    String check;

    private static final int PHASE_NORMAL = 0;
    private static final int PHASE_PURGE = 1;
    private static final int PHASE_STOP = 2;

    /** Runs the measurement on {@code store} (closed when called, closed again when done). */
    static PurgeLatency measure(AgnoStore store, int normalWrites, TextPool texts) throws InterruptedException {
        PurgeLatency result = new PurgeLatency();
        store.timeOpenAndFirstRead();
        MapDbStorage storage = store.storage();
        SessionKey writerKey = SessionKey.of("purge-writer", "purge-writer-session");
        SessionKey victim = store.session(store.sessionCount() - 1);
        storage.getOrCreateSession(writerKey, AgnoStore.AGENT);
        AtomicInteger phase = new AtomicInteger(PHASE_NORMAL);
        CountDownLatch normalDone = new CountDownLatch(1);
        AtomicInteger runsCompleted = new AtomicInteger();
        Throwable[] failure = new Throwable[1];
        Thread writer = new Thread(() -> {
            try {
                long cursor = 2_000_000;
                for (int run = 0; phase.get() != PHASE_STOP; run++) {
                    Message[] m = AgnoStore.runMessages(texts, cursor);
                    cursor += 4;
                    String runId = "run-" + run;
                    for (int i = 0; i <= m.length; i++) {
                        int p = phase.get();
                        long t0 = System.nanoTime();
                        if (i < m.length) {
                            storage.appendMessage(writerKey, runId, m[i]);
                        } else {
                            storage.completeRun(writerKey, runId);
                        }
                        long t = System.nanoTime() - t0;
                        if (p == PHASE_NORMAL) {
                            result.normal.add(t);
                            if (result.normal.size() == normalWrites) {
                                normalDone.countDown();
                            }
                        } else if (p == PHASE_PURGE) {
                            result.duringPurge.add(t);
                        }
                    }
                    runsCompleted.incrementAndGet();
                }
            } catch (Throwable e) {
                failure[0] = e;
                normalDone.countDown();
            }
        }, "bench-purge-writer");
        writer.start();
        normalDone.await();
        phase.set(PHASE_PURGE);
        long t0 = System.nanoTime();
        storage.deleteSession(victim);
        storage.compact();
        result.purgeNanos = System.nanoTime() - t0;
        phase.set(PHASE_STOP);
        writer.join();
        if (failure[0] != null) {
            throw new IllegalStateException("The writer failed during the purge measurement", failure[0]);
        }
        store.close();
        store.timeOpenAndFirstRead();
        MapDbStorage reopened = store.storage();
        long runs = reopened.session(writerKey).orElseThrow().runCount();
        if (reopened.session(victim).isPresent() || runs != runsCompleted.get()) {
            throw new IllegalStateException("After the purge: deleted session present = "
                    + reopened.session(victim).isPresent() + ", writer runs " + runs + " of " + runsCompleted.get());
        }
        store.close();
        result.check = String.format(java.util.Locale.ROOT, "check: after the purge and a reopen, the deleted "
                + "session is gone and the writer's session has all %,d acknowledged runs", runs);
        return result;
    }
}
