package dev.agnomemory.core.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that advances one step (a millisecond unless given) every time it is read, so "newest first" orders are
 * deterministic and tests need no sleeps. {@link #advance} jumps ahead.
 */
public final class TickingClock extends Clock {

    private final AtomicLong millis;
    private final long stepMillis;

    /** A clock starting at 2023-11-14T22:13:20Z. */
    public TickingClock() {
        this(Instant.ofEpochMilli(1_700_000_000_000L));
    }

    /** @param start the first reading minus one millisecond */
    public TickingClock(Instant start) {
        this(start, Duration.ofMillis(1));
    }

    /**
     * @param start the first reading minus one step
     * @param step how far each reading moves on (whole seconds make times that print exactly)
     */
    public TickingClock(Instant start, Duration step) {
        this.millis = new AtomicLong(start.toEpochMilli());
        this.stepMillis = step.toMillis();
        if (stepMillis <= 0) {
            throw new IllegalArgumentException("step must be at least a millisecond, but was " + step);
        }
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.addAndGet(stepMillis));
    }

    /** @param millisAhead how far to jump */
    public void advance(long millisAhead) {
        millis.addAndGet(millisAhead);
    }
}
