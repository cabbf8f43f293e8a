package dev.agnomemory.core.storage.postgres;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * How an {@link Instant} is stored: a {@code timestamptz} (microseconds, readable in SQL) plus a {@code smallint}
 * with the nanoseconds below the microsecond, so it reads back exactly.
 *
 * <p>Rules:
 * <ul>
 *   <li>the timestamptz is written as text in PostgreSQL's own format (years before 1 as {@code BC}) and read back
 *       as {@code extract(epoch from ...)}, an exact numeric, so no driver calendar conversion is involved;</li>
 *   <li>times outside 4714-11-24 BC to 294246-12-31 AD are refused with an {@link IllegalArgumentException} naming
 *       the field, before anything is written: PostgreSQL stores up to 294276 AD, but its exact
 *       {@code extract(epoch ...)} rounds to whole seconds in the last 30 years of that range.</li>
 * </ul>
 */
final class PgTime {

    /** 4714-11-24T00:00:00Z BC, the first instant PostgreSQL stores. */
    static final Instant MIN = Instant.parse("-4713-11-24T00:00:00Z");
    /** 294247-01-01T00:00:00Z, the first instant this storage refuses. */
    static final Instant END = Instant.parse("+294247-01-01T00:00:00Z");

    private PgTime() {
    }

    /** @return the timestamptz literal of {@code t} truncated to the microsecond */
    static String timestamp(Instant t, String field) {
        if (t.isBefore(MIN) || !t.isBefore(END)) {
            throw new IllegalArgumentException(field + " is " + t + ", outside what this storage keeps exactly in "
                    + "PostgreSQL (4714-11-24 BC to 294246-12-31 AD)");
        }
        LocalDateTime d = LocalDateTime.ofEpochSecond(t.getEpochSecond(), t.getNano(), ZoneOffset.UTC);
        int year = d.getYear();
        boolean bc = year <= 0;
        StringBuilder s = new StringBuilder(40);
        pad(s, bc ? 1 - year : year, 4).append('-');
        pad(s, d.getMonthValue(), 2).append('-');
        pad(s, d.getDayOfMonth(), 2).append(' ');
        pad(s, d.getHour(), 2).append(':');
        pad(s, d.getMinute(), 2).append(':');
        pad(s, d.getSecond(), 2).append('.');
        pad(s, d.getNano() / 1000, 6).append("+00");
        return bc ? s.append(" BC").toString() : s.toString();
    }

    /** @return the nanoseconds of {@code t} below the microsecond, 0 to 999 */
    static short nanos(Instant t) {
        return (short) (t.getNano() % 1000);
    }

    /** @return the instant of a stored {@code extract(epoch from ts)} and its nanoseconds column; null stays null */
    static Instant instant(BigDecimal epochSeconds, int nanos) {
        if (epochSeconds == null) {
            return null;
        }
        // seconds and microseconds apart: the range's end in microseconds does not fit a long
        BigDecimal seconds = epochSeconds.setScale(0, RoundingMode.FLOOR);
        int micros = epochSeconds.subtract(seconds).movePointRight(6).intValueExact();
        return Instant.ofEpochSecond(seconds.longValueExact(), micros * 1000L + nanos);
    }

    private static StringBuilder pad(StringBuilder s, int value, int width) {
        String digits = Integer.toString(value);
        for (int i = digits.length(); i < width; i++) {
            s.append('0');
        }
        return s.append(digits);
    }
}
