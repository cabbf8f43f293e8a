package dev.agnomemory.examples.bench;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.search.ConversationSearch;
import dev.agnomemory.core.search.IndexedMessage;
import dev.agnomemory.core.search.LuceneConversationIndex;
import dev.agnomemory.core.search.TextEmbedder;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.EmbeddingModelTextEmbedder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Speed of the conversation search through its public service, {@link ConversationSearch} over a real
 * {@link MapDbStorage} file and a {@link LuceneConversationIndex} on disk, with the in-process all-MiniLM-L6-v2:
 * <ol>
 *   <li><b>Index throughput</b>: messages stored in MapDB and indexed by the search's background catch-up (what a
 *       restart or the first start over existing conversations does: read from storage, embed 64 texts per
 *       {@code embedAll} call, add, commit); beside it the index fed directly ({@code add} calls of 100), MiniLM's own
 *       throughput on the same texts (the upper bound), and one message per {@code add} call. Then live appends:
 *       each run appended and announced with {@code sessionChanged}, what that call costs the caller (the delay it
 *       adds to a reply), and how long until the index holds every message.</li>
 *   <li><b>Search among 100,000 messages of one user</b> (1,000 sessions of 100): {@code ConversationSearch.search(
 *       user, query, 10)}, which first checks the user's 1,000 stored sessions against the index's records and embeds
 *       the query (the target); the index's own {@code search} with the query embedding; the index part alone (query
 *       vector precomputed); the query embedding alone; and a brute-force baseline: an exact dot product with every
 *       message vector, kept in one contiguous {@code float[]}, into a top-10 heap, with and without the query
 *       embedding. The variants are measured round-robin, query by query, so machine noise hits them alike.</li>
 *   <li><b>Memory per indexed message</b>: bytes of the index directory per message (by kind of file), and Java
 *       heap held by the open index and search.</li>
 * </ol>
 * Texts come from {@link ChatTextGenerator} (seeded, not meaningful). For the 100,000 messages, vectors come from a
 * seeded stub (normalized pseudo-random, 384 dimensions: the worst case for HNSW, whose graph search is faster on
 * clustered real embeddings) unless {@code -Dbench.realVectors=true} embeds them all with MiniLM (about 10 minutes
 * more here). Query vectors are always real MiniLM embeddings. Run it with
 * <pre>
 * ./mvnw -B -q -Pbench-search -pl agno-memory-examples -am verify -DskipTests
 * </pre>
 * Options (system properties, passed through by the profile): {@code bench.messages} (default 100000),
 * {@code bench.searches} (measured searches per variant, default 300), {@code bench.throughputMessages} (default
 * 3000), {@code bench.realVectors}, {@code bench.dir} (where the store and index directories go, deleted
 * afterwards).
 */
public final class ConversationSearchBenchmark {

    private static final String USER = "bench-user";
    private static final int SESSION_LENGTH = 100;
    /** Messages per stored run when filling the store for the search part (fewer appends, same messages). */
    private static final int BULK_RUN_LENGTH = 20;
    private static final int LIMIT = 10;
    private static final int WARM_UP = 50;
    private static final Instant START = Instant.parse("2024-01-01T00:00:00Z");

    private final int messages = intProperty("bench.messages", 100_000);
    private final int searches = intProperty("bench.searches", 300);
    private final int throughputMessages = intProperty("bench.throughputMessages", 3_000);
    private final boolean realVectors = Boolean.getBoolean("bench.realVectors");
    private final Path baseDir = Path.of(blankToDefault(System.getProperty("bench.dir"),
            System.getProperty("java.io.tmpdir")));
    private final EmbeddingModelTextEmbedder minilm = EmbeddingModelTextEmbedder.allMiniLmL6V2();

    private ConversationSearchBenchmark() {
    }

    /**
     * Runs the benchmark and prints its tables.
     *
     * @param args none
     * @throws Exception when the store or index directories cannot be written, or a wait is interrupted
     */
    public static void main(String[] args) throws Exception {
        new ConversationSearchBenchmark().run();
    }

    private static int intProperty(String name, int defaultValue) {
        String value = System.getProperty(name);
        return value == null || value.isBlank() ? defaultValue : Integer.parseInt(value.trim());
    }

    private static String blankToDefault(String value, String defaultValue) {
        return value == null || value.isBlank() ? defaultValue : value;
    }

    private void run() throws Exception {
        System.out.printf(Locale.ROOT, "Conversation search benchmark: %s, %d cores, Java %s%n", minilm.modelId(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        minilm.embedAll(List.of("load the model before anything is timed"));
        Files.createDirectories(baseDir);
        Path work = Files.createTempDirectory(baseDir, "agno-search-bench");
        try {
            throughput(work.resolve("throughput"));
            search(work.resolve("search"));
        } finally {
            deleteRecursively(work);
        }
    }

    // ---- 1. index throughput ----

    private void throughput(Path dir) throws Exception {
        Files.createDirectories(dir);
        ChatTextGenerator texts = new ChatTextGenerator(7);
        List<IndexedMessage> all = generate(texts, throughputMessages, "t");
        double words = all.stream().mapToInt(m -> m.text().split(" ").length).average().orElse(0);

        long e0 = System.nanoTime();
        for (int from = 0; from < all.size(); from += LuceneConversationIndex.DEFAULT_EMBEDDING_BATCH_SIZE) {
            minilm.embedAll(all.subList(from, Math.min(all.size(),
                    from + LuceneConversationIndex.DEFAULT_EMBEDDING_BATCH_SIZE)).stream().map(IndexedMessage::text)
                    .toList());
        }
        double embedSeconds = (System.nanoTime() - e0) / 1e9;

        // Through the service: stored first, then the search's first sweep catches the index up in the background.
        double serviceSeconds;
        try (MapDbStorage storage = MapDbStorage.open(dir.resolve("store.db"))) {
            store(storage, all, 2);
            ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
            try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir.resolve("service"))
                    .embedder(minilm).build()) {
                long t0 = System.nanoTime();
                try (ConversationSearch search = ConversationSearch.builder().storage(storage).index(index)
                        .scheduler(scheduler).build()) {
                    idle(scheduler); // the first sweep was scheduled first: this returns when it is done
                    serviceSeconds = (System.nanoTime() - t0) / 1e9;
                    check(index.size() == all.size(), "the service indexed " + index.size() + " of " + all.size());
                }
            } finally {
                scheduler.shutdown();
            }
        }

        double indexSeconds;
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir.resolve("batched"))
                .embedder(minilm).build()) {
            long t0 = System.nanoTime();
            for (int from = 0; from < all.size(); from += 100) {
                index.add(all.subList(from, Math.min(all.size(), from + 100)));
            }
            index.commit();
            indexSeconds = (System.nanoTime() - t0) / 1e9;
        }

        int singles = Math.min(300, all.size());
        double singleSeconds;
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir.resolve("single"))
                .embedder(minilm).build()) {
            long t0 = System.nanoTime();
            for (IndexedMessage m : all.subList(0, singles)) {
                index.add(List.of(m));
            }
            index.commit();
            singleSeconds = (System.nanoTime() - t0) / 1e9;
        }

        System.out.printf(Locale.ROOT, "%n1. Index throughput (%,d generated messages, %.1f words on average, "
                + "sessions of %d, runs of 2, on disk)%n", all.size(), words, SESSION_LENGTH);
        System.out.printf(Locale.ROOT, "%-72s %12s%n", "", "messages/s");
        System.out.printf(Locale.ROOT, "%-72s %12.0f%n",
                "ConversationSearch catch-up from MapDB, embedAll of 64 (target >= 150)", all.size() / serviceSeconds);
        System.out.printf(Locale.ROOT, "%-72s %12.0f%n", "index fed directly, add() of 100 messages, embedAll of 64",
                all.size() / indexSeconds);
        System.out.printf(Locale.ROOT, "%-72s %12.0f%n", "MiniLM embedAll of 64 alone, same texts (upper bound)",
                all.size() / embedSeconds);
        System.out.printf(Locale.ROOT, "%-72s %12.0f%n", "index fed directly, add() of 1 message (" + singles
                + " messages)", singles / singleSeconds);
        System.out.printf(Locale.ROOT, "service / embedding alone: %.2f; service / index fed directly: %.2f; "
                + "batched / one at a time: %.2fx; target %s%n",
                embedSeconds / serviceSeconds, indexSeconds / serviceSeconds,
                (all.size() / indexSeconds) / (singles / singleSeconds),
                all.size() / serviceSeconds >= 150 ? "PASS" : "FAIL");

        liveAppends(dir.resolve("live"), texts);
    }

    /**
     * Appends runs of 2 messages to 10 sessions, each followed by {@code sessionChanged}, as an application would
     * after each reply; times that call and how long until the index holds every message.
     */
    private void liveAppends(Path dir, ChatTextGenerator texts) throws Exception {
        Files.createDirectories(dir);
        int runs = Math.max(1, Math.min(500, throughputMessages / 2));
        long[] callNanos = new long[runs];
        double appendSeconds;
        double totalSeconds;
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
        try (MapDbStorage storage = MapDbStorage.open(dir.resolve("store.db"));
                LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir.resolve("index"))
                        .embedder(minilm).build();
                ConversationSearch search = ConversationSearch.builder().storage(storage).index(index)
                        .scheduler(scheduler).build()) {
            idle(scheduler);
            long t0 = System.nanoTime();
            for (int r = 0; r < runs; r++) {
                SessionKey key = SessionKey.of(USER, "live" + (r % 10));
                storage.getOrCreateSession(key, "bench");
                Instant at = START.plusSeconds(60L * r);
                storage.appendMessages(key, "run-" + r, List.of(
                        Message.builder(Role.USER).content(texts.message()).createdAt(at).build(),
                        Message.builder(Role.ASSISTANT).content(texts.message()).createdAt(at).build()));
                storage.completeRun(key, "run-" + r);
                long c0 = System.nanoTime();
                search.sessionChanged(key);
                callNanos[r] = System.nanoTime() - c0;
            }
            appendSeconds = (System.nanoTime() - t0) / 1e9;
            idle(scheduler);
            totalSeconds = (System.nanoTime() - t0) / 1e9;
            check(index.size() == runs * 2, "the live index holds " + index.size() + " of " + runs * 2);
        } finally {
            scheduler.shutdown();
        }
        double[] call = stats(callNanos);
        System.out.printf(Locale.ROOT, "live: %d runs of 2 messages appended to 10 sessions in %.1f s, each followed "
                + "by sessionChanged(): %.3f ms p50, %.3f ms p99, %.3f ms max per call; every message indexed %.1f s "
                + "after the first append (%.0f messages/s end to end)%n", runs, appendSeconds, call[0], call[2],
                Arrays.stream(callNanos).max().orElse(0) / 1e6, totalSeconds, runs * 2 / totalSeconds);
    }

    // ---- 2. search among 100,000 messages, 3. memory ----

    private void search(Path dir) throws Exception {
        Files.createDirectories(dir);
        ChatTextGenerator texts = new ChatTextGenerator(11);
        List<IndexedMessage> all = generate(texts, messages, "s");
        BenchEmbedder embedder = new BenchEmbedder(minilm, realVectors);
        Path indexDir = dir.resolve("index");

        try (MapDbStorage storage = MapDbStorage.open(dir.resolve("store.db"))) {
            long s0 = System.nanoTime();
            store(storage, all, BULK_RUN_LENGTH);
            double storeSeconds = (System.nanoTime() - s0) / 1e9;

            long heapBefore = usedHeap();
            ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
            long t0 = System.nanoTime();
            try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(indexDir)
                    .embedder(embedder).build();
                    ConversationSearch search = ConversationSearch.builder().storage(storage).index(index)
                            .scheduler(scheduler).build()) {
                idle(scheduler);
            }
            double buildSeconds = (System.nanoTime() - t0) / 1e9;
            // Closing the index waited for the segment merges the bulk catch-up started; the searches are measured
            // on the settled index, reopened as after a restart (its catch-up finds nothing to add).
            long r0 = System.nanoTime();
            try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(indexDir)
                    .embedder(embedder).build();
                    ConversationSearch search = ConversationSearch.builder().storage(storage).index(index)
                            .scheduler(scheduler).build()) {
                idle(scheduler);
                double reopenSeconds = (System.nanoTime() - r0) / 1e9;
                check(index.size() == all.size(), "the service indexed " + index.size() + " of " + all.size());
                float[] matrix = embedder.messageMatrix();
                embedder.forgetMessageVectors();
                search.search(USER, "warm up the searcher", LIMIT);
                long heapIndex = usedHeap() - heapBefore - (long) matrix.length * Float.BYTES;

                List<String> queries = new ArrayList<>();
                for (int i = 0; i < WARM_UP + searches; i++) {
                    queries.add(texts.query());
                }
                Map<String, float[]> queryVectors = new HashMap<>();
                long[][] nanos = new long[6][searches];
                for (int i = 0; i < queries.size(); i++) {
                    String q = queries.get(i);
                    long a = System.nanoTime();
                    float[] qv = minilm.embedAll(List.of(q)).get(0);
                    long b = System.nanoTime();
                    queryVectors.put(q, qv);
                    long c;
                    long d;
                    // The first search of a query meets colder caches than the second: alternate which goes first,
                    // so the difference of the two (the session check) does not include that.
                    if (i % 2 == 0) {
                        search.search(USER, q, LIMIT); // checks the user's sessions, embeds the query itself
                        c = System.nanoTime();
                        index.search(USER, q, LIMIT); // embeds the query itself
                        d = System.nanoTime();
                    } else {
                        index.search(USER, q, LIMIT);
                        long b2 = System.nanoTime();
                        search.search(USER, q, LIMIT);
                        d = System.nanoTime();
                        c = b + (d - b2); // the service search's time, counted from b
                        d = c + (b2 - b); // then the index search's
                    }
                    embedder.useCachedQueries(queryVectors);
                    index.search(USER, q, LIMIT);
                    long e = System.nanoTime();
                    embedder.useCachedQueries(null);
                    float[] nq = normalized(minilm.embedAll(List.of(q)).get(0));
                    long f = System.nanoTime();
                    bruteForce(matrix, nq, minilm.dimensions(), LIMIT);
                    long g = System.nanoTime();
                    if (i >= WARM_UP) {
                        int k = i - WARM_UP;
                        nanos[0][k] = c - b;
                        nanos[1][k] = d - c;
                        nanos[2][k] = e - d;
                        nanos[3][k] = b - a;
                        nanos[4][k] = g - e;
                        nanos[5][k] = g - f;
                    }
                }

                System.out.printf(Locale.ROOT, "%n2. One search among %,d messages of one user (%d sessions), top %d, "
                        + "one neighbour each side; message vectors: %s; stored in MapDB in %.0f s, indexed by the "
                        + "service's catch-up in %.0f s (merges included); measured on the index reopened after it, "
                        + "whose open and catch-up took %.1f s%n", messages, messages / SESSION_LENGTH, LIMIT,
                        realVectors ? "real MiniLM" : "seeded stub", storeSeconds, buildSeconds, reopenSeconds);
                System.out.printf(Locale.ROOT, "%-62s %8s %8s %8s %8s%n", "", "p50 ms", "p95 ms", "p99 ms",
                        "mean ms");
                String[] names = {"ConversationSearch.search, embedding included (target)",
                    "index.search, embedding included (no session check)", "index.search, index part only",
                    "MiniLM query embedding alone", "brute-force dot products, embedding included",
                    "brute-force dot products, index part only"};
                double[][] stats = new double[names.length][];
                for (int v = 0; v < names.length; v++) {
                    stats[v] = stats(nanos[v]);
                    System.out.printf(Locale.ROOT, "%-62s %8.2f %8.2f %8.2f %8.2f%n", names[v], stats[v][0],
                            stats[v][1], stats[v][2], stats[v][3]);
                }
                System.out.printf(Locale.ROOT, "p95 of ConversationSearch.search: %.1f ms, target <= 30 ms: %s; "
                        + "against brute force with embedding (p95): %.2f; session check (p50): %.2f ms; "
                        + "index part / brute force (p50): %.2f%n", stats[0][1], stats[0][1] <= 30 ? "PASS" : "FAIL",
                        stats[0][1] / stats[4][1], stats[0][0] - stats[1][0], stats[2][0] / stats[5][0]);

                System.out.printf(Locale.ROOT, "%n3. Memory per indexed message (%,d messages)%n", index.size());
                Map<String, Long> bytesByKind = directoryBytes(indexDir);
                long total = bytesByKind.values().stream().mapToLong(Long::longValue).sum();
                System.out.printf(Locale.ROOT, "index directory: %,d bytes = %,d bytes per message; by file kind: %s%n",
                        total, total / messages, perMessage(bytesByKind));
                System.out.printf(Locale.ROOT, "Java heap held by the open index and search: about %,d bytes per "
                        + "message (the index maps its files; the OS page cache holds what searches touch)%n",
                        Math.max(0, heapIndex) / messages);
                System.out.printf(Locale.ROOT, "brute-force baseline's vectors on the heap: %,d bytes per message%n",
                        (long) minilm.dimensions() * Float.BYTES);
            } finally {
                scheduler.shutdown();
            }
        }
    }

    /** Stores the messages (grouped by session, in order) as runs of {@code runLength}, each completed. */
    private static void store(MapDbStorage storage, List<IndexedMessage> all, int runLength) {
        List<Message> run = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            IndexedMessage m = all.get(i);
            run.add(Message.builder(m.role()).content(m.text()).createdAt(m.createdAt()).build());
            boolean sessionEnds = i + 1 == all.size() || !all.get(i + 1).session().equals(m.session());
            if (run.size() == runLength || sessionEnds) {
                storage.getOrCreateSession(m.session(), "bench");
                String runId = m.runId() + "-" + i;
                storage.appendMessages(m.session(), runId, List.copyOf(run));
                storage.completeRun(m.session(), runId);
                run.clear();
            }
        }
    }

    /** Waits until the single-thread scheduler has run everything submitted so far. */
    private static void idle(ScheduledThreadPoolExecutor scheduler) throws Exception {
        scheduler.submit(() -> { }).get(1, TimeUnit.HOURS);
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new IllegalStateException("Benchmark setup failed: " + what);
        }
    }

    private static List<IndexedMessage> generate(ChatTextGenerator texts, int count, String sessionPrefix) {
        List<IndexedMessage> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int inSession = i % SESSION_LENGTH;
            out.add(new IndexedMessage(SessionKey.of(USER, sessionPrefix + (i / SESSION_LENGTH)), "run-" + inSession / 2,
                    new MessagePosition(inSession / 2, inSession % 2), inSession % 2 == 0 ? Role.USER : Role.ASSISTANT,
                    START.plusSeconds(60L * i), texts.message()));
        }
        return out;
    }

    /** Exact top-k by dot product over contiguous normalized vectors. */
    static int[] bruteForce(float[] matrix, float[] query, int dim, int k) {
        PriorityQueue<float[]> top = new PriorityQueue<>(k + 1, Comparator.comparingDouble(e -> e[0]));
        int rows = matrix.length / dim;
        for (int r = 0; r < rows; r++) {
            float s = 0;
            int off = r * dim;
            for (int j = 0; j < dim; j++) {
                s += query[j] * matrix[off + j];
            }
            if (top.size() < k || s > top.peek()[0]) {
                top.add(new float[] {s, r});
                if (top.size() > k) {
                    top.poll();
                }
            }
        }
        return top.stream().mapToInt(e -> (int) e[1]).toArray();
    }

    private static float[] normalized(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        float[] out = v.clone();
        float scale = sum > 0 ? (float) (1 / Math.sqrt(sum)) : 0;
        for (int i = 0; i < out.length; i++) {
            out[i] *= scale;
        }
        return out;
    }

    /** p50, p95, p99, mean in milliseconds. */
    private static double[] stats(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(sorted).average().orElse(0);
        return new double[] {sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.95)] / 1e6,
            sorted[(int) (sorted.length * 0.99)] / 1e6, mean / 1e6};
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static Map<String, Long> directoryBytes(Path dir) throws IOException {
        Map<String, Long> bytes = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                int dot = name.lastIndexOf('.');
                String kind = dot < 0 ? name.replaceAll("_\\w+$", "") : name.substring(dot + 1);
                bytes.merge(kind, Files.size(f), Long::sum);
            }
        }
        return bytes;
    }

    private String perMessage(Map<String, Long> bytesByKind) {
        StringBuilder sb = new StringBuilder();
        bytesByKind.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .filter(e -> e.getValue() / messages > 0)
                .forEach(e -> sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
                        .append(e.getValue() / messages));
        return sb.toString();
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    /**
     * MiniLM for queries; for message texts either MiniLM or a seeded stub; can answer queries from precomputed
     * vectors so the index part of a search can be timed alone. Remembers message vectors for the brute-force
     * baseline until told to forget them.
     */
    private static final class BenchEmbedder implements TextEmbedder {
        private final EmbeddingModelTextEmbedder model;
        private final boolean real;
        private final List<float[]> messageVectors = Collections.synchronizedList(new ArrayList<>());
        private volatile Map<String, float[]> cachedQueries;
        private volatile boolean indexing = true;

        BenchEmbedder(EmbeddingModelTextEmbedder model, boolean real) {
            this.model = model;
            this.real = real;
        }

        @Override
        public String modelId() {
            return "bench/" + model.modelId() + (real ? "" : "+stub");
        }

        @Override
        public int dimensions() {
            return model.dimensions();
        }

        @Override
        public List<float[]> embedAll(List<String> texts) {
            if (!indexing) {
                Map<String, float[]> cached = cachedQueries;
                return cached != null ? texts.stream().map(cached::get).toList() : model.embedAll(texts);
            }
            List<float[]> vectors = real ? model.embedAll(texts) : texts.stream().map(this::stub).toList();
            messageVectors.addAll(vectors);
            return vectors;
        }

        private float[] stub(String text) {
            Random random = new Random(text.hashCode());
            float[] v = new float[model.dimensions()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) random.nextGaussian();
            }
            return v;
        }

        /** @return every remembered message vector, normalized, one after the other */
        float[] messageMatrix() {
            float[] matrix = new float[messageVectors.size() * model.dimensions()];
            int row = 0;
            for (float[] v : messageVectors) {
                System.arraycopy(normalized(v), 0, matrix, row++ * v.length, v.length);
            }
            return matrix;
        }

        void forgetMessageVectors() {
            messageVectors.clear();
            indexing = false;
        }

        void useCachedQueries(Map<String, float[]> queries) {
            cachedQueries = queries;
        }
    }
}
