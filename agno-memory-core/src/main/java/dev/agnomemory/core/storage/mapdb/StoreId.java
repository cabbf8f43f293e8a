package dev.agnomemory.core.storage.mapdb;

import java.security.SecureRandom;
import java.util.Locale;

/**
 * The random identity of one store, written into every journal segment and into the index, so that files of two
 * stores are never mixed up (an index paired with another store's journal is refused, never used or rebuilt).
 *
 * @param high the first 64 bits
 * @param low the last 64 bits
 */
record StoreId(long high, long low) {

    private static final SecureRandom RANDOM = new SecureRandom();

    static StoreId random() {
        return new StoreId(RANDOM.nextLong(), RANDOM.nextLong());
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%016x%016x", high, low);
    }
}
