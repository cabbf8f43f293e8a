package dev.agnomemory.core.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;

/**
 * How a storage's session turns behave, as its builder configured them. Internal: not part of the public API and
 * may change without notice.
 *
 * @param lease how long a turn stays held without renewal; renewed every third of it
 * @param pollInterval how often a waiter asks the store again when nothing wakes it sooner
 * @param scheduler where renewals run; null for a daemon thread of the storage's own
 */
public record TurnSettings(Duration lease, Duration pollInterval, ScheduledExecutorService scheduler) {

    /** The default lease: long enough that a slow renewal is no risk, short enough for a crash not to matter. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

    /** The default interval of a waiter's own attempts. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

    private static final Duration MIN_LEASE = Duration.ofMillis(300);

    /**
     * Validates the builder's values, naming its settings.
     *
     * @param lease the builder's {@code turnLease}
     * @param pollInterval the builder's {@code turnPollInterval}
     * @param scheduler the builder's {@code turnScheduler}, or null
     * @return the settings
     * @throws IllegalArgumentException naming the setting that is invalid
     */
    public static TurnSettings of(Duration lease, Duration pollInterval, ScheduledExecutorService scheduler) {
        Require.notNull(lease, "turnLease");
        Require.notNull(pollInterval, "turnPollInterval");
        if (lease.compareTo(MIN_LEASE) < 0) {
            throw new IllegalArgumentException("turnLease must be at least " + MIN_LEASE + ", but is " + lease);
        }
        if (pollInterval.isNegative() || pollInterval.isZero() || pollInterval.compareTo(lease) > 0) {
            throw new IllegalArgumentException("turnPollInterval must be positive and at most turnLease (" + lease
                    + "), but is " + pollInterval);
        }
        return new TurnSettings(lease, pollInterval, scheduler);
    }

    /** @return how often held turns are renewed: a third of the lease, so two renewals may fail in a row */
    public Duration renewEvery() {
        return lease.dividedBy(3);
    }
}
