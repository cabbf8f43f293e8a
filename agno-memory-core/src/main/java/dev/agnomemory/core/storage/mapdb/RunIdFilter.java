package dev.agnomemory.core.storage.mapdb;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A Bloom filter over the run ids an {@link Index} holds, so that a writer starting a run with a new id (nearly
 * every run) learns that the id is not an earlier run of its session without a B-tree lookup, which takes tens of
 * microseconds under the store's writer lock and waits for a checkpoint's MapDB commit.
 *
 * <p>Rules:
 * <ul>
 *   <li>No false negatives: every key {@link #add added} is {@link #mightContain contained}. A "maybe" costs the
 *       index lookup the filter exists to avoid, nothing else.</li>
 *   <li>Sized at build for twice the keys the index holds, at 10 bits and 7 probes per key (about 1% false
 *       positives at that size). Past that size it answers "maybe" more often and says it is {@link #full}, so that
 *       the owner builds a bigger one; it never gives a wrong "no".</li>
 *   <li>One thread adds (the store's maintenance thread, which alone writes the index); any thread reads.</li>
 *   <li>At most {@value #MAX_BITS} bits (128 MiB): larger stores get more false positives.</li>
 * </ul>
 */
final class RunIdFilter {

    static final long MAX_BITS = 1L << 30;
    private static final int BITS_PER_KEY = 10;
    private static final int PROBES = 7;
    private static final long MIN_KEYS = 4096;

    private final AtomicLongArray words;
    private final long bits;
    private final long capacity;
    private long added;

    private RunIdFilter(long capacity) {
        long b = Math.min(MAX_BITS, Math.max(64, capacity * BITS_PER_KEY));
        this.bits = (b + 63) / 64 * 64;
        this.words = new AtomicLongArray((int) (bits / 64));
        this.capacity = capacity;
    }

    /** An empty filter for an index of {@code keys} run ids: room for twice as many. */
    static RunIdFilter forKeys(long keys) {
        return new RunIdFilter(Math.max(MIN_KEYS, keys * 2));
    }

    /** Adds a hash from {@link #hash}. */
    void add(long hash) {
        long h2 = secondHash(hash);
        for (int i = 0; i < PROBES; i++) {
            long bit = Long.remainderUnsigned(hash + i * h2, bits);
            int word = (int) (bit >>> 6);
            long mask = 1L << bit;
            long v = words.get(word);
            if ((v & mask) == 0) {
                words.set(word, v | mask);
            }
        }
        added++;
    }

    void add(long sid, String runId) {
        add(hash(sid, runId));
    }

    /** Whether the key may have been added; false means it certainly was not. */
    boolean mightContain(long sid, String runId) {
        long hash = hash(sid, runId);
        long h2 = secondHash(hash);
        for (int i = 0; i < PROBES; i++) {
            long bit = Long.remainderUnsigned(hash + i * h2, bits);
            if ((words.get((int) (bit >>> 6)) & (1L << bit)) == 0) {
                return false;
            }
        }
        return true;
    }

    /** Whether more keys were added than it was sized for (for the adding thread). */
    boolean full() {
        return added > capacity;
    }

    /** A 64-bit hash of a session number and run id (FNV-1a over the characters, finished by Murmur3's mixer). */
    static long hash(long sid, String runId) {
        long h = mix(sid ^ 0xcbf29ce484222325L);
        for (int i = 0; i < runId.length(); i++) {
            h = (h ^ runId.charAt(i)) * 0x100000001b3L;
        }
        return mix(h ^ runId.length());
    }

    private static long secondHash(long hash) {
        // odd, so the probes of one key never coincide for a power-of-two size
        return mix(hash + 0x9e3779b97f4a7c15L) | 1;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }
}
