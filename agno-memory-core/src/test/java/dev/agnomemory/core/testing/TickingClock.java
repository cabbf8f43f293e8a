package dev.agnomemory.core.testing;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that advances one millisecond every time it is read, so "newest first" orders are deterministic and
 * tests need no sleeps. {@link #advance} jumps ahead.
 */
public final class TickingClock extends Clock {

    private final AtomicLong millis;

    /** A clock starting at 2023-11-14T22:13:20Z. */
    public TickingClock() {
        this(Instant.ofEpochMilli(1_700_000_000_000L));
    }

    /** @param start the first reading minus one millisecond */
    public TickingClock(Instant start) {
        this.millis = new AtomicLong(start.toEpochMilli());
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
        return Instant.ofEpochMilli(millis.incrementAndGet());
    }

    /** @param millisAhead how far to jump */
    public void advance(long millisAhead) {
        millis.addAndGet(millisAhead);
    }
}
