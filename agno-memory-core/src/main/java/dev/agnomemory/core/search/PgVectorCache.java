package dev.agnomemory.core.search;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.apache.lucene.util.VectorUtil;

/**
 * The embedding vectors of recently searched users, held in this process, so that {@link PostgresConversationIndex}
 * ranks by meaning (exact dot products over all of the user's vectors) without reading every vector from
 * PostgreSQL for each search.
 *
 * <p>Rules:
 * <ul>
 *   <li>Vectors are held per user and per session, with the session's change stamp ({@code search_sessions.change})
 *       at the time they were read.</li>
 *   <li>Each search passes the stamps it has just read. A session whose stamp moved is read again, only its rows
 *       changed after the held stamp (what was appended), or whole when one of those rows replaces a held message; a
 *       session that is no longer listed is dropped (deleted). So a search sees every change committed before it
 *       read the stamps, by any instance.</li>
 *   <li>At most {@code capacity} vectors in all; the users searched least recently are dropped first. A user with
 *       more vectors than that is read for each search and not kept.</li>
 *   <li>Thread-safe: searches of one user wait for each other's reads; other users' searches do not.</li>
 * </ul>
 */
final class PgVectorCache {

    /** One stored vector. */
    record Row(long session, long id, float[] vector) {
    }

    /** Reads the rows of the given sessions changed after the given stamps (-1: all rows). */
    interface Loader {
        List<Row> load(Map<Long, Long> changedAfterBySession);
    }

    /** A session's held vectors. */
    private static final class SessionVectors {
        long change;
        long[] ids = new long[0];
        float[][] vectors = new float[0][];
        long maxId = -1;

        int size() {
            return ids.length;
        }

        void append(List<Row> rows) {
            int n = ids.length;
            ids = Arrays.copyOf(ids, n + rows.size());
            vectors = Arrays.copyOf(vectors, n + rows.size());
            for (Row r : rows) {
                ids[n] = r.id();
                vectors[n++] = r.vector();
                maxId = Math.max(maxId, r.id());
            }
        }
    }

    private static final class UserVectors {
        final Map<Long, SessionVectors> sessions = new HashMap<>();
        volatile int size;
    }

    private final int capacity;
    /** Least recently used first; guarded by itself. */
    private final LinkedHashMap<String, UserVectors> users = new LinkedHashMap<>(16, 0.75f, true);

    PgVectorCache(int capacity) {
        this.capacity = capacity;
    }

    /**
     * The user's messages nearest to a query vector.
     *
     * @param userId the user
     * @param stamps the change stamp of each of the user's sessions, as just read
     * @param excludedSession a session left out, or null
     * @param query the normalized query vector
     * @param depth how many to return at most
     * @param loader reads rows
     * @return the nearest messages by dot product, best first (ties by lower id)
     */
    List<HybridRanking.Scored> nearest(String userId, Map<Long, Long> stamps, Long excludedSession, float[] query,
            int depth, Loader loader) {
        UserVectors user;
        synchronized (users) {
            user = users.computeIfAbsent(userId, k -> new UserVectors());
        }
        synchronized (user) {
            refresh(user, stamps, loader);
            fit(userId, user);
            return rank(user, excludedSession, query, depth);
        }
    }

    private static void refresh(UserVectors user, Map<Long, Long> stamps, Loader loader) {
        user.sessions.keySet().retainAll(stamps.keySet());
        Map<Long, Long> changed = new HashMap<>();
        stamps.forEach((session, change) -> {
            SessionVectors held = user.sessions.get(session);
            if (held == null) {
                changed.put(session, -1L);
            } else if (held.change != change) {
                changed.put(session, held.change);
            }
        });
        if (!changed.isEmpty()) {
            Map<Long, List<Row>> bySession = new HashMap<>();
            for (Row r : loader.load(changed)) {
                bySession.computeIfAbsent(r.session(), k -> new ArrayList<>()).add(r);
            }
            Map<Long, Long> replaced = new HashMap<>();
            for (Map.Entry<Long, Long> c : changed.entrySet()) {
                List<Row> rows = bySession.getOrDefault(c.getKey(), List.of());
                SessionVectors held = c.getValue() < 0 ? null : user.sessions.get(c.getKey());
                if (held != null && rows.stream().anyMatch(r -> r.id() <= held.maxId)) {
                    replaced.put(c.getKey(), -1L); // a held message was indexed again: read the session whole
                    continue;
                }
                SessionVectors target = held != null ? held : new SessionVectors();
                target.append(rows);
                target.change = stamps.get(c.getKey());
                user.sessions.put(c.getKey(), target);
            }
            if (!replaced.isEmpty()) {
                Map<Long, List<Row>> whole = new HashMap<>();
                for (Row r : loader.load(replaced)) {
                    whole.computeIfAbsent(r.session(), k -> new ArrayList<>()).add(r);
                }
                for (Long session : replaced.keySet()) {
                    SessionVectors fresh = new SessionVectors();
                    fresh.append(whole.getOrDefault(session, List.of()));
                    fresh.change = stamps.get(session);
                    user.sessions.put(session, fresh);
                }
            }
        }
        user.size = user.sessions.values().stream().mapToInt(SessionVectors::size).sum();
    }

    /** Drops the least recently searched users (or this one, when it alone is too large) to fit the capacity. */
    private void fit(String userId, UserVectors user) {
        synchronized (users) {
            if (user.size > capacity) {
                users.remove(userId, user);
                return;
            }
            long held = 0;
            for (UserVectors u : users.values()) {
                held += u.size;
            }
            Iterator<Map.Entry<String, UserVectors>> it = users.entrySet().iterator();
            while (held > capacity && it.hasNext()) {
                Map.Entry<String, UserVectors> eldest = it.next();
                if (eldest.getValue() != user) {
                    held -= eldest.getValue().size;
                    it.remove();
                }
            }
        }
    }

    private static List<HybridRanking.Scored> rank(UserVectors user, Long excludedSession, float[] query, int depth) {
        Comparator<HybridRanking.Scored> worstFirst = Comparator.comparingDouble(HybridRanking.Scored::score)
                .thenComparing(Comparator.comparingLong(HybridRanking.Scored::id).reversed());
        PriorityQueue<HybridRanking.Scored> top = new PriorityQueue<>(depth + 1, worstFirst);
        for (Map.Entry<Long, SessionVectors> e : user.sessions.entrySet()) {
            if (e.getKey().equals(excludedSession)) {
                continue;
            }
            SessionVectors s = e.getValue();
            for (int i = 0; i < s.ids.length; i++) {
                HybridRanking.Scored scored = new HybridRanking.Scored(s.ids[i],
                        VectorUtil.dotProduct(query, s.vectors[i]));
                if (top.size() < depth) {
                    top.add(scored);
                } else if (worstFirst.compare(scored, top.peek()) > 0) {
                    top.poll();
                    top.add(scored);
                }
            }
        }
        List<HybridRanking.Scored> out = new ArrayList<>(top);
        out.sort(worstFirst.reversed());
        return out;
    }

    /** Drops everything (the index was closed or its vectors re-embedded). */
    void clear() {
        synchronized (users) {
            users.clear();
        }
    }
}
