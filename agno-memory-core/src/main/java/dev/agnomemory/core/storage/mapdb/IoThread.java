package dev.agnomemory.core.storage.mapdb;

import java.util.concurrent.Callable;

/**
 * Runs file work a caller asked for (open, compact, checkpoint, close) on a thread of the store's own, and waits for
 * it without being interruptible. The files are {@code FileChannel}s in places ({@code fdatasync}, locks, directory
 * syncs), and a channel closes itself for good when the thread using it is interrupted: work on an interrupted
 * caller's thread would fail with {@code ClosedByInterruptException} (a message ending in ": null") and could leave
 * it half done. The caller's interrupt status is kept.
 */
final class IoThread {

    private IoThread() {
    }

    static <T> T call(String name, Callable<T> work) {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                result[0] = work.call();
            } catch (Throwable e) {
                failure[0] = e;
            }
        }, "agno-memory-io " + name);
        t.setDaemon(true);
        t.start();
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable f = failure[0];
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error err) {
            throw err;
        }
        if (f != null) {
            throw new IllegalStateException(f);
        }
        @SuppressWarnings("unchecked")
        T r = (T) result[0];
        return r;
    }

    static void run(String name, Runnable work) {
        call(name, () -> {
            work.run();
            return null;
        });
    }
}
