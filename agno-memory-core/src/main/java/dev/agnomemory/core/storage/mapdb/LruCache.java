package dev.agnomemory.core.storage.mapdb;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * A small thread-safe least-recently-used cache bounded by the total weight of its values, for values read from the
 * index.
 *
 * <p>Rules:
 * <ul>
 *   <li>A value read from the index is put only if nothing was invalidated since the read began
 *       ({@link #epoch()} before the read, {@link #putIfUnchanged} after): a write that changed the key meanwhile
 *       can never be hidden by the value read before it.</li>
 *   <li>Writes invalidate the keys they change when they are installed, before anyone can read the new values from
 *       the index.</li>
 * </ul>
 */
final class LruCache<K, V> {

    private final long maxWeight;
    private final ToLongFunction<V> weigher;
    private final LinkedHashMap<K, V> map = new LinkedHashMap<>(64, 0.75f, true);
    private long weight;
    private long epoch;

    LruCache(long maxWeight, ToLongFunction<V> weigher) {
        this.maxWeight = maxWeight;
        this.weigher = weigher;
    }

    synchronized V get(K key) {
        return map.get(key);
    }

    synchronized long epoch() {
        return epoch;
    }

    /** Puts the value unless something was invalidated after {@code epochBefore} was read. */
    synchronized void putIfUnchanged(K key, V value, long epochBefore) {
        if (epoch != epochBefore || maxWeight <= 0) {
            return;
        }
        long w = weigher.applyAsLong(value);
        if (w > maxWeight / 4) {
            return;
        }
        V old = map.put(key, value);
        if (old != null) {
            weight -= weigher.applyAsLong(old);
        }
        weight += w;
        var it = map.entrySet().iterator();
        while (weight > maxWeight && it.hasNext()) {
            Map.Entry<K, V> e = it.next();
            weight -= weigher.applyAsLong(e.getValue());
            it.remove();
        }
    }

    synchronized void invalidate(K key) {
        epoch++;
        V old = map.remove(key);
        if (old != null) {
            weight -= weigher.applyAsLong(old);
        }
    }

    synchronized void invalidateIf(Predicate<K> test) {
        epoch++;
        var it = map.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<K, V> e = it.next();
            if (test.test(e.getKey())) {
                weight -= weigher.applyAsLong(e.getValue());
                it.remove();
            }
        }
    }

    synchronized void clear() {
        epoch++;
        map.clear();
        weight = 0;
    }
}
