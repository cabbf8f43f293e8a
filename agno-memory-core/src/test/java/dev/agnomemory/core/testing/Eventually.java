package dev.agnomemory.core.testing;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for something another thread does (a caller joining a line), checking often; fails after 30 s. */
public final class Eventually {

    private static final long LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private Eventually() {
    }

    /**
     * @param what what is awaited, for the failure message
     * @param condition true once it happened
     */
    public static void await(String what, BooleanSupplier condition) {
        long start = System.nanoTime();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - start > LIMIT_NANOS) {
                throw new AssertionError("Still waiting after 30 s for: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
