package dev.agnomemory.core.storage.postgres;

import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.internal.LeaseStore;
import dev.agnomemory.core.internal.TurnSettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.util.HexFormat;
import javax.sql.DataSource;

/**
 * The leases behind {@link PostgresStorage}'s session turns: rows of {@code session_turns} and
 * {@code session_turn_waiters}, changed only by the server functions of {@code schema-v2.sql}, each one call.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>The server's clock</b> decides when a lease has run out, so the instances' clocks need not agree.</li>
 *   <li><b>One line across instances.</b> The first waiter of each instance takes a ticket (from the store-wide
 *       sequence) at its first attempt; a free turn goes to the lowest ticket of a waiter that asked within the
 *       lease. So an instance that keeps taking and releasing the turn cannot starve another's waiter.</li>
 *   <li><b>Wake-ups.</b> A release (or a waiter giving up) while others wait sends a {@code NOTIFY} on channel
 *       {@value #CHANNEL} with the schema and a hash of the session; {@link PgTurnListener} wakes the matching
 *       waiters. Waiters also ask every poll interval, which is all they do when notifications are off or the
 *       listener has no connection.</li>
 *   <li><b>Rows exist only while needed</b>: a release deletes the turn's row, a grant its waiter's row; rows of a
 *       crashed instance go at the next attempt on that session.</li>
 * </ul>
 */
final class PgTurns implements LeaseStore {

    static final String CHANNEL = "agno_memory_turns";

    private final PgConnections db;
    private final String schema;
    private final String q;
    private final TurnSettings settings;
    private final PgTurnListener listener;
    private volatile Waker waker = sessions -> { };

    PgTurns(PgConnections db, DataSource dataSource, String schema, String q, TurnSettings settings,
            boolean notifications) {
        this.db = db;
        this.schema = schema;
        this.q = q;
        this.settings = settings;
        this.listener = notifications ? new PgTurnListener(dataSource, schema, settings.pollInterval(),
                this::notified, () -> waker.wake(key -> true)) : null;
    }

    @Override
    public Attempt tryAcquire(SessionKey key, String holder, long ticket, Duration lease) {
        Attempt attempt = db.call("Taking the turn of " + PostgresStorage.describe(key), c -> {
            try (PreparedStatement s = db.prepare(c, "SELECT o_epoch, o_ticket, o_holder, o_retry_ms FROM " + q
                    + "try_turn(?, ?, ?, ?, ?)")) {
                PostgresStorage.keyParams(s, 1, key);
                s.setString(3, PgText.encode(holder));
                if (ticket == 0) {
                    s.setNull(4, Types.BIGINT);
                } else {
                    s.setLong(4, ticket);
                }
                s.setLong(5, lease.toMillis());
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    long epoch = rs.getLong(1);
                    if (!rs.wasNull()) {
                        return Attempt.granted(epoch);
                    }
                    long retry = rs.getLong(4);
                    return Attempt.waiting(rs.getLong(2), PgText.decode(rs.getString(3)),
                            rs.wasNull() ? null : Duration.ofMillis(retry));
                }
            }
        });
        if (!attempt.isGranted() && listener != null) {
            listener.start(); // the first time anyone here waits
        }
        return attempt;
    }

    @Override
    public boolean renew(SessionKey key, long epoch, Duration lease) {
        return db.call("Renewing the turn of " + PostgresStorage.describe(key), c -> {
            try (PreparedStatement s = db.prepare(c, "SELECT " + q + "renew_turn(?, ?, ?, ?)")) {
                PostgresStorage.keyParams(s, 1, key);
                s.setLong(3, epoch);
                s.setLong(4, lease.toMillis());
                return bool(s);
            }
        });
    }

    @Override
    public void release(SessionKey key, long epoch) {
        callWakingWaiters("Releasing the turn of " + PostgresStorage.describe(key), "release_turn", key, epoch);
    }

    @Override
    public void leaveLine(SessionKey key, long ticket) {
        callWakingWaiters("Leaving the line for the turn of " + PostgresStorage.describe(key), "leave_turn_line", key,
                ticket);
    }

    /** Calls {@code function(user, session, number, channel, payload)}, which may notify the session's waiters. */
    private void callWakingWaiters(String what, String function, SessionKey key, long number) {
        db.call(what, c -> {
            try (PreparedStatement s = db.prepare(c, "SELECT " + q + function + "(?, ?, ?, ?, ?)")) {
                PostgresStorage.keyParams(s, 1, key);
                s.setLong(3, number);
                s.setString(4, CHANNEL);
                s.setString(5, payload(key));
                s.execute();
                return null;
            }
        });
    }

    @Override
    public Duration pollInterval() {
        return settings.pollInterval();
    }

    @Override
    public void wakeWith(Waker waker) {
        this.waker = waker;
    }

    @Override
    public void close() {
        if (listener != null) {
            listener.close();
        }
    }

    /** @return the listener, null when notifications are off */
    PgTurnListener listener() {
        return listener;
    }

    /** A notification: wake this schema's waiters of the session it names. */
    private void notified(String payload) {
        String prefix = schema + " ";
        if (payload != null && payload.startsWith(prefix)) {
            String session = payload.substring(prefix.length());
            waker.wake(key -> sessionHash(key).equals(session));
        }
    }

    /** What a release sends: the schema, and a hash of the session that fits any id into a notification. */
    private String payload(SessionKey key) {
        return schema + " " + sessionHash(key);
    }

    private static String sessionHash(SessionKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((key.userId() + '\u0000' + key.sessionId())
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java platform has SHA-256", e);
        }
    }

    private static boolean bool(PreparedStatement s) throws SQLException {
        try (ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

}
