package dev.agnomemory.examples.bench;

import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.search.IndexedMessage;
import dev.agnomemory.core.search.LuceneConversationIndex;
import dev.agnomemory.core.search.TextEmbedder;
import dev.agnomemory.langchain4j.EmbeddingModelTextEmbedder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Speed of the conversation search ({@link LuceneConversationIndex} with the in-process all-MiniLM-L6-v2):
 * <ol>
 *   <li><b>Index throughput</b>: messages indexed per second with batched embedding ({@code add} calls of 100
 *       messages, embedded 64 at a time), on disk, commit included; beside it, the model's own throughput on the
 *       same texts (embedding only), and indexing one message per {@code add} call (one model call each).</li>
 *   <li><b>Search among 100,000 messages of one user</b> (1,000 sessions of 100): latency of
 *       {@code search(user, query, 10)} including the query embedding, the index part alone (query vector
 *       precomputed), the query embedding alone, and a brute-force baseline: an exact dot product with every
 *       message vector, kept in one contiguous {@code float[]}, into a top-10 heap. The variants are measured
 *       round-robin, query by query, so machine noise hits them alike.</li>
 *   <li><b>Memory per indexed message</b>: bytes of the index directory per message (by kind of file), and Java
 *       heap held by the open index.</li>
 * </ol>
 * Texts come from {@link ChatTextGenerator} (seeded, not meaningful). For the 100,000 messages, vectors come from a
 * seeded stub (normalized pseudo-random, 384 dimensions: the worst case for HNSW, whose graph search is faster on
 * clustered real embeddings) unless {@code -Dbench.realVectors=true} embeds them all with MiniLM (about 10 minutes
 * here). Query vectors are always real MiniLM embeddings. Run it with
 * <pre>
 * ./mvnw -B -q -pl agno-memory-examples -am package dependency:build-classpath -DskipTests -Dmdep.outputFile=/tmp/cp.txt
 * java -Xmx2g -cp "agno-memory-examples/target/classes:$(cat /tmp/cp.txt)" \
 *     dev.agnomemory.examples.bench.ConversationSearchBenchmark
 * </pre>
 * Options (system properties): {@code bench.messages} (default 100000), {@code bench.searches} (measured searches
 * per variant, default 300), {@code bench.throughputMessages} (default 3000), {@code bench.realVectors},
 * {@code bench.dir} (where the index directories go, deleted afterwards; default the temp directory).
 */
public final class ConversationSearchBenchmark {

    private static final String USER = "bench-user";
    private static final int SESSION_LENGTH = 100;
    private static final int LIMIT = 10;
    private static final int WARM_UP = 50;

    private final int messages = Integer.getInteger("bench.messages", 100_000);
    private final int searches = Integer.getInteger("bench.searches", 300);
    private final int throughputMessages = Integer.getInteger("bench.throughputMessages", 3_000);
    private final boolean realVectors = Boolean.getBoolean("bench.realVectors");
    private final Path baseDir = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
    private final EmbeddingModelTextEmbedder minilm = EmbeddingModelTextEmbedder.allMiniLmL6V2();

    private ConversationSearchBenchmark() {
    }

    /**
     * Runs the benchmark and prints its tables.
     *
     * @param args none
     * @throws IOException when the index directories cannot be written
     */
    public static void main(String[] args) throws IOException {
        new ConversationSearchBenchmark().run();
    }

    private void run() throws IOException {
        System.out.printf(Locale.ROOT, "Conversation search benchmark: %s, %d cores, Java %s%n", minilm.modelId(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        minilm.embedAll(List.of("load the model before anything is timed"));
        Path work = Files.createTempDirectory(baseDir, "agno-search-bench");
        try {
            throughput(work.resolve("throughput"));
            search(work.resolve("search"));
        } finally {
            deleteRecursively(work);
        }
    }

    // ---- 1. index throughput ----

    private void throughput(Path dir) {
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
                + "sessions of %d, on disk)%n", all.size(), words, SESSION_LENGTH);
        System.out.printf(Locale.ROOT, "%-58s %12s%n", "", "messages/s");
        System.out.printf(Locale.ROOT, "%-58s %12.0f%n", "index, add() of 100 messages, embedAll of 64 (target >= 150)",
                all.size() / indexSeconds);
        System.out.printf(Locale.ROOT, "%-58s %12.0f%n", "MiniLM embedAll of 64 alone, same texts (upper bound)",
                all.size() / embedSeconds);
        System.out.printf(Locale.ROOT, "%-58s %12.0f%n", "index, add() of 1 message (" + singles + " messages)",
                singles / singleSeconds);
        System.out.printf(Locale.ROOT, "index / embedding alone: %.2f; batched / one at a time: %.2fx; target %s%n",
                (all.size() / indexSeconds) / (all.size() / embedSeconds),
                (all.size() / indexSeconds) / (singles / singleSeconds),
                all.size() / indexSeconds >= 150 ? "PASS" : "FAIL");
    }

    // ---- 2. search among 100,000 messages, 3. memory ----

    private void search(Path dir) throws IOException {
        ChatTextGenerator texts = new ChatTextGenerator(11);
        List<IndexedMessage> all = generate(texts, messages, "s");
        BenchEmbedder embedder = new BenchEmbedder(minilm, realVectors);
        float[] matrix = new float[messages * minilm.dimensions()];

        long heapBefore = usedHeap();
        long t0 = System.nanoTime();
        LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir).embedder(embedder).build();
        try {
            for (int from = 0; from < all.size(); from += 1_000) {
                index.add(all.subList(from, Math.min(all.size(), from + 1_000)));
            }
            index.commit();
            double buildSeconds = (System.nanoTime() - t0) / 1e9;
            for (int i = 0; i < all.size(); i++) {
                float[] v = normalized(embedder.vectorOf(all.get(i).text()));
                System.arraycopy(v, 0, matrix, i * v.length, v.length);
            }
            embedder.forgetMessageVectors();
            index.search(USER, "warm up the searcher", LIMIT);
            long heapIndex = usedHeap() - heapBefore - (long) matrix.length * Float.BYTES;

            List<String> queries = new ArrayList<>();
            for (int i = 0; i < WARM_UP + searches; i++) {
                queries.add(texts.query());
            }
            Map<String, float[]> queryVectors = new HashMap<>();
            long[][] nanos = new long[5][searches];
            for (int i = 0; i < queries.size(); i++) {
                String q = queries.get(i);
                long a = System.nanoTime();
                float[] qv = minilm.embedAll(List.of(q)).get(0);
                long b = System.nanoTime();
                queryVectors.put(q, qv);
                index.search(USER, q, LIMIT); // embeds the query itself
                long c = System.nanoTime();
                embedder.useCachedQueries(queryVectors);
                index.search(USER, q, LIMIT);
                long d = System.nanoTime();
                embedder.useCachedQueries(null);
                float[] nq = normalized(minilm.embedAll(List.of(q)).get(0));
                long e = System.nanoTime();
                bruteForce(matrix, nq, minilm.dimensions(), LIMIT);
                long f = System.nanoTime();
                if (i >= WARM_UP) {
                    int k = i - WARM_UP;
                    nanos[0][k] = c - b;
                    nanos[1][k] = d - c;
                    nanos[2][k] = b - a;
                    nanos[3][k] = f - d;
                    nanos[4][k] = f - e;
                }
            }

            System.out.printf(Locale.ROOT, "%n2. One search among %,d messages of one user (%d sessions), top %d; "
                    + "message vectors: %s; built in %.0f s%n", messages, messages / SESSION_LENGTH, LIMIT,
                    realVectors ? "real MiniLM" : "seeded stub", buildSeconds);
            System.out.printf(Locale.ROOT, "%-52s %8s %8s %8s %8s%n", "", "p50 ms", "p95 ms", "p99 ms", "mean ms");
            String[] names = {"hybrid search, query embedding included (target)", "hybrid search, index part only",
                "MiniLM query embedding alone", "brute-force dot products, embedding included",
                "brute-force dot products, index part only"};
            double[][] stats = new double[names.length][];
            for (int v = 0; v < names.length; v++) {
                stats[v] = stats(nanos[v]);
                System.out.printf(Locale.ROOT, "%-52s %8.2f %8.2f %8.2f %8.2f%n", names[v], stats[v][0], stats[v][1],
                        stats[v][2], stats[v][3]);
            }
            System.out.printf(Locale.ROOT, "p95 including the query embedding: %.1f ms, target <= 30 ms: %s; "
                    + "index part / brute force (p50): %.2f%n", stats[0][1], stats[0][1] <= 30 ? "PASS" : "FAIL",
                    stats[1][0] / stats[4][0]);

            System.out.printf(Locale.ROOT, "%n3. Memory per indexed message (%,d messages)%n", index.size());
            Map<String, Long> bytesByKind = directoryBytes(dir);
            long total = bytesByKind.values().stream().mapToLong(Long::longValue).sum();
            System.out.printf(Locale.ROOT, "index directory: %,d bytes = %,d bytes per message; by file kind: %s%n",
                    total, total / messages, perMessage(bytesByKind));
            System.out.printf(Locale.ROOT, "Java heap held by the open index: about %,d bytes per message "
                    + "(the index maps its files; the OS page cache holds what searches touch)%n",
                    Math.max(0, heapIndex) / messages);
            System.out.printf(Locale.ROOT, "brute-force baseline's vectors on the heap: %,d bytes per message%n",
                    (long) minilm.dimensions() * Float.BYTES);
        } finally {
            index.close();
        }
    }

    private static List<IndexedMessage> generate(ChatTextGenerator texts, int count, String sessionPrefix) {
        List<IndexedMessage> out = new ArrayList<>(count);
        Instant start = Instant.parse("2024-01-01T00:00:00Z");
        for (int i = 0; i < count; i++) {
            int inSession = i % SESSION_LENGTH;
            out.add(new IndexedMessage(SessionKey.of(USER, sessionPrefix + (i / SESSION_LENGTH)), "run-" + inSession / 2,
                    new MessagePosition(inSession / 2, inSession % 2), inSession % 2 == 0 ? Role.USER : Role.ASSISTANT,
                    start.plusSeconds(60L * i), texts.message()));
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
        private final Map<String, float[]> messageVectors = new ConcurrentHashMap<>();
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
            for (int i = 0; i < texts.size(); i++) {
                messageVectors.put(texts.get(i), vectors.get(i));
            }
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

        float[] vectorOf(String text) {
            return messageVectors.get(text);
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
