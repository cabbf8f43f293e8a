package dev.agnomemory.examples.bench;

import dev.agnomemory.core.UserMemory;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.langchain4j.MemoryRetrieval;
import dev.agnomemory.langchain4j.UserMemoryRetriever;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.store.embedding.EmbeddingMatch;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.inmemory.InMemoryEmbeddingStore;
import java.io.IOException;
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
import java.util.stream.Stream;

/**
 * Cost of {@link MemoryRetrieval#SEMANTIC} retrieval with {@link UserMemoryRetriever}: (a) embedding one memory
 * with the in-process all-MiniLM-L6-v2, and (b) one lookup among 10,000 memories of one user, with and without
 * embedding the query, next to two brute-force baselines over the same vectors: LangChain4j's
 * {@link InMemoryEmbeddingStore} ({@code search}, cosine from un-normalized vectors per entry, a priority queue of
 * matches), and a naive loop computing the cosine of {@code float[]} vectors (both norms each time) into a
 * {@link PriorityQueue}. Not a JMH benchmark and not run by the build; run it with
 * <pre>
 * ./mvnw -B -q -pl agno-memory-examples -am package dependency:build-classpath -DskipTests -Dmdep.outputFile=/tmp/cp.txt
 * java -Xmx2g -cp "agno-memory-examples/target/classes:$(cat /tmp/cp.txt)" \
 *     dev.agnomemory.examples.bench.MemoryRetrievalBenchmark
 * </pre>
 *
 * <p>Options (system properties): {@code bench.memories} (default 10000), {@code bench.lookups} (measured lookups
 * per variant, default 300), {@code bench.limit} (top k, default 5), {@code bench.realVectors=true} (embed the
 * 10,000 memories with MiniLM instead of the stub; takes minutes), {@code bench.dir} (where the store file goes;
 * default the temp directory).
 *
 * <p>By default the 10,000 memory vectors come from a deterministic stub producing 384-dimensional pseudo-random
 * normalized vectors (embedding 10,000 texts with MiniLM takes minutes on a small machine); lookup cost does not
 * depend on what the vectors mean. Queries are always embedded with MiniLM.
 */
public final class MemoryRetrievalBenchmark {

    private static final String USER = "bench-user";
    private static final String MODEL_NAME = "bench-384";

    private final int memories = Integer.getInteger("bench.memories", 10_000);
    private final int lookups = Integer.getInteger("bench.lookups", 300);
    private final int limit = Integer.getInteger("bench.limit", 5);
    private final boolean realVectors = Boolean.getBoolean("bench.realVectors");
    private final Random random = new Random(42);
    /** Receives a hash of every result, so the JIT cannot drop work. */
    private volatile int sink;

    private MemoryRetrievalBenchmark() {
    }

    /**
     * Runs the benchmark and prints the table.
     *
     * @param args ignored; options are system properties
     * @throws Exception when the store cannot be created
     */
    public static void main(String[] args) throws Exception {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        Path base = Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir")));
        Path dir = Files.createTempDirectory(base, "retrieval-bench-");
        try {
            new MemoryRetrievalBenchmark().run(dir);
        } finally {
            deleteRecursively(dir);
        }
    }

    private void run(Path dir) {
        long started = System.nanoTime();
        EmbeddingModel miniLm = new AllMiniLmL6V2EmbeddingModel();
        progress("MiniLM loaded in %.1f s", (System.nanoTime() - started) / 1e9);

        // ---- (a) embedding one memory ----
        List<String> embedTexts = texts(1_200, new Random(7));
        for (int i = 0; i < 200; i++) {
            sink += miniLm.embed(embedTexts.get(i)).content().vector().length;
        }
        double[] embedOne = new double[1_000];
        for (int i = 0; i < embedOne.length; i++) {
            long t0 = System.nanoTime();
            float[] v = miniLm.embed(embedTexts.get(200 + i)).content().vector();
            embedOne[i] = System.nanoTime() - t0;
            sink += v.length;
        }
        double avgWords = embedTexts.stream().mapToInt(t -> t.split(" ").length).average().orElse(0);
        progress("embedding measured (%d texts, %.1f words on average)", embedOne.length, avgWords);

        // ---- (b) the 10,000 memories and their vectors ----
        List<String> memoryTexts = texts(memories, random);
        List<float[]> vectors = new ArrayList<>(memories);
        long t0 = System.nanoTime();
        EmbeddingModel memoryModel = realVectors ? miniLm : new StubEmbeddingModel();
        for (int from = 0; from < memories; from += 256) {
            List<TextSegment> batch = memoryTexts.subList(from, Math.min(memories, from + 256)).stream()
                    .map(TextSegment::from).toList();
            memoryModel.embedAll(batch).content().forEach(e -> vectors.add(e.vector()));
        }
        progress("%,d memory vectors computed with %s in %.1f s", memories, realVectors ? "MiniLM" : "the stub",
                (System.nanoTime() - t0) / 1e9);

        List<String> queries = texts(lookups + 100, new Random(99)).stream().map(t -> "What about " + t).toList();
        Map<String, float[]> queryVectors = new HashMap<>();
        for (String q : queries) {
            queryVectors.put(q, miniLm.embed(q).content().vector());
        }

        // the retriever's store: memories + their vectors, as a previous run of the retriever would have left them
        t0 = System.nanoTime();
        Map<String, float[]> vectorOfText = new HashMap<>();
        for (int i = 0; i < memories; i++) {
            vectorOfText.put(memoryTexts.get(i), vectors.get(i));
        }
        vectorOfText.putAll(queryVectors);
        // One lookup model for all: memory texts and queries map to the vectors above (a hash-map get, no model).
        EmbeddingModel precomputed = new PrecomputedEmbeddingModel(vectorOfText);
        EmbeddingModel queryWithMiniLm = new MiniLmQueries(miniLm, vectorOfText);

        try (MapDbStorage storage = MapDbStorage.open(dir.resolve("memories.db"))) {
            Instant at = Instant.parse("2025-01-01T00:00:00Z");
            for (int i = 0; i < memories; i++) {
                storage.saveMemory(new UserMemory("m" + i, USER, memoryTexts.get(i), List.of(), null,
                        at.plusSeconds(i), at.plusSeconds(i)));
            }
            UserMemoryRetriever filler = retriever(storage, precomputed);
            filler.retrieve(USER, queries.get(0)); // saves the 10,000 vectors (one durable write each)
            progress("store with %,d memories and vectors written in %.1f s", memories,
                    (System.nanoTime() - t0) / 1e9);

            // first lookup of a fresh retriever: loads the stored vectors of the user
            double[] firstLoad = new double[3];
            for (int i = 0; i < firstLoad.length; i++) {
                UserMemoryRetriever fresh = retriever(storage, precomputed);
                long l0 = System.nanoTime();
                sink += fresh.retrieve(USER, queries.get(i)).size();
                firstLoad[i] = System.nanoTime() - l0;
            }

            UserMemoryRetriever ours = retriever(storage, precomputed);
            UserMemoryRetriever oursMiniLm = retriever(storage, queryWithMiniLm);
            sink += oursMiniLm.retrieve(USER, queries.get(0)).size(); // load

            InMemoryEmbeddingStore<TextSegment> store = new InMemoryEmbeddingStore<>();
            List<String> ids = new ArrayList<>(memories);
            List<Embedding> embeddings = new ArrayList<>(memories);
            List<TextSegment> segments = new ArrayList<>(memories);
            for (int i = 0; i < memories; i++) {
                ids.add("m" + i);
                embeddings.add(Embedding.from(vectors.get(i)));
                segments.add(TextSegment.from(memoryTexts.get(i)));
            }
            store.addAll(ids, embeddings, segments);
            List<float[]> naiveVectors = List.copyOf(vectors);

            // point reads, the retriever's re-check of what it returns
            double[] pointRead = new double[2_000];
            for (int i = 0; i < pointRead.length; i++) {
                long p0 = System.nanoTime();
                sink += storage.memory(USER, "m" + random.nextInt(memories)).isPresent() ? 1 : 0;
                pointRead[i] = System.nanoTime() - p0;
            }

            // ---- lookups: warm-up, then interleaved measurements ----
            for (int i = 0; i < 100; i++) {
                String q = queries.get(i);
                sink += ours.retrieve(USER, q).size();
                sink += search(store, queryVectors.get(q)).size();
                sink += naive(naiveVectors, queryVectors.get(q)).size();
                sink += oursMiniLm.retrieve(USER, q).size();
                sink += search(store, miniLm.embed(q).content().vector()).size();
            }
            double[][] excluded = new double[3][lookups];
            double[][] included = new double[3][lookups];
            for (int i = 0; i < lookups; i++) {
                String q = queries.get(100 + i);
                float[] qv = queryVectors.get(q);
                for (int k = 0; k < 3; k++) { // rotate the order, so drift hits all alike
                    int variant = (i + k) % 3;
                    long s0 = System.nanoTime();
                    sink += switch (variant) {
                        case 0 -> ours.retrieve(USER, q).size();
                        case 1 -> search(store, qv).size();
                        default -> naive(naiveVectors, qv).size();
                    };
                    excluded[variant][i] = System.nanoTime() - s0;
                }
                for (int k = 0; k < 3; k++) {
                    int variant = (i + k) % 3;
                    long s0 = System.nanoTime();
                    sink += switch (variant) {
                        case 0 -> oursMiniLm.retrieve(USER, q).size();
                        case 1 -> search(store, miniLm.embed(q).content().vector()).size();
                        default -> naive(naiveVectors, miniLm.embed(q).content().vector()).size();
                    };
                    included[variant][i] = System.nanoTime() - s0;
                }
            }
            report(embedOne, avgWords, firstLoad, pointRead, excluded, included);
        }
    }

    private UserMemoryRetriever retriever(MapDbStorage storage, EmbeddingModel model) {
        return UserMemoryRetriever.builder().storage(storage).retrieval(MemoryRetrieval.SEMANTIC).limit(limit)
                .embeddingModel(model).embeddingModelName(MODEL_NAME).build();
    }

    private List<EmbeddingMatch<TextSegment>> search(InMemoryEmbeddingStore<TextSegment> store, float[] query) {
        return store.search(EmbeddingSearchRequest.builder().queryEmbedding(Embedding.from(query))
                .maxResults(limit).minScore(0.0).build()).matches();
    }

    private record Scored(int index, double score) {
    }

    /** The naive baseline: cosine of un-normalized vectors (both norms every time), top k by a priority queue. */
    private List<Integer> naive(List<float[]> vectors, float[] query) {
        PriorityQueue<Scored> top = new PriorityQueue<>(Comparator.comparingDouble(Scored::score));
        for (int i = 0; i < vectors.size(); i++) {
            float[] v = vectors.get(i);
            double dot = 0;
            double nq = 0;
            double nv = 0;
            for (int d = 0; d < v.length; d++) {
                dot += query[d] * v[d];
                nq += query[d] * query[d];
                nv += v[d] * v[d];
            }
            top.add(new Scored(i, dot / Math.sqrt(nq * nv)));
            if (top.size() > limit) {
                top.poll();
            }
        }
        List<Integer> out = new ArrayList<>();
        while (!top.isEmpty()) {
            out.add(0, top.poll().index());
        }
        return out;
    }

    private void report(double[] embedOne, double avgWords, double[] firstLoad, double[] pointRead,
            double[][] excluded, double[][] included) {
        System.out.println();
        System.out.printf(Locale.ROOT, "Memory retrieval benchmark: %,d memories of one user, top %d, %d lookups per "
                + "variant, %d CPU(s), Java %s%n", memories, limit, lookups,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "Memory vectors: %s. Queries: embedded with all-MiniLM-L6-v2 (384 dims).%n",
                realVectors ? "all-MiniLM-L6-v2" : "deterministic stub, 384-dim pseudo-random normalized vectors "
                        + "(MiniLM would take minutes for 10,000 texts; lookup cost does not depend on the values)");
        System.out.println();
        System.out.printf(Locale.ROOT, "(a) embed one memory with all-MiniLM-L6-v2 (%.1f words avg, %d samples): "
                + "median %.2f ms, p90 %.2f ms%n", avgWords, embedOne.length, ms(median(embedOne)),
                ms(percentile(embedOne, 90)));
        System.out.printf(Locale.ROOT, "    first lookup of a new retriever (loads %,d stored vectors): median %.0f ms"
                + "%n", memories, ms(median(firstLoad)));
        System.out.printf(Locale.ROOT, "    MapDbStorage.memory() point read (the re-check, %d per lookup): median "
                + "%.3f ms%n", limit, ms(median(pointRead)));
        System.out.println();
        System.out.printf(Locale.ROOT, "(b) one lookup among %,d memories          median ms   p90 ms   min ms   "
                + "median/median of UserMemoryRetriever%n", memories);
        String[] names = {"UserMemoryRetriever (SEMANTIC)", "InMemoryEmbeddingStore.search",
            "naive cosine loop + PriorityQueue"};
        for (String part : List.of("query embedding excluded", "query embedding included")) {
            double[][] m = part.endsWith("excluded") ? excluded : included;
            System.out.println("  " + part + ":");
            double oursMedian = median(m[0]);
            for (int v = 0; v < 3; v++) {
                System.out.printf(Locale.ROOT, "    %-38s %9.3f %8.3f %8.3f   %s%n", names[v], ms(median(m[v])),
                        ms(percentile(m[v], 90)), ms(percentile(m[v], 0)), v == 0 ? "1.00"
                                : String.format(Locale.ROOT, "%.2f", median(m[v]) / oursMedian));
            }
        }
        System.out.println();
        System.out.println("UserMemoryRetriever's lookup = embed the query (a hash-map get when excluded) + one dot "
                + "product per memory over a contiguous float[] of normalized vectors + a BM25 query over the "
                + "memories' word index, fused with the similarities (HybridTextRanking) + " + limit
                + " point reads of MapDbStorage to re-check that the results still exist. The baselines rank by "
                + "cosine alone, so their top " + limit + " differ from the fused one by design.");
        System.out.println("(sink " + (sink & 1) + ")");
    }

    // ---- models ----

    /** Memory texts and queries map to precomputed vectors: embedding costs a hash-map get. */
    private static final class PrecomputedEmbeddingModel implements EmbeddingModel {
        private final Map<String, float[]> vectors;

        PrecomputedEmbeddingModel(Map<String, float[]> vectors) {
            this.vectors = vectors;
        }

        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            return Response.from(segments.stream().map(s -> Embedding.from(vectors.get(s.text()))).toList());
        }
    }

    /** Queries embedded with MiniLM; memory texts (only embedded when filling the store) precomputed. */
    private static final class MiniLmQueries implements EmbeddingModel {
        private final EmbeddingModel miniLm;
        private final Map<String, float[]> memoryVectors;

        MiniLmQueries(EmbeddingModel miniLm, Map<String, float[]> memoryVectors) {
            this.miniLm = miniLm;
            this.memoryVectors = memoryVectors;
        }

        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            if (segments.size() == 1 && segments.get(0).text().startsWith("What about ")) {
                return miniLm.embedAll(segments);
            }
            return Response.from(segments.stream().map(s -> Embedding.from(memoryVectors.get(s.text()))).toList());
        }
    }

    /** A deterministic stub: 384-dimensional pseudo-random normalized vectors, seeded by the text. */
    private static final class StubEmbeddingModel implements EmbeddingModel {
        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            return Response.from(segments.stream().map(s -> {
                Random r = new Random(s.text().hashCode() * 31L + s.text().length());
                float[] v = new float[384];
                double norm = 0;
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) r.nextGaussian();
                    norm += v[i] * v[i];
                }
                float inv = (float) (1 / Math.sqrt(norm));
                for (int i = 0; i < v.length; i++) {
                    v[i] *= inv;
                }
                return Embedding.from(v);
            }).toList());
        }

        @Override
        public int dimension() {
            return 384;
        }
    }

    // ---- texts ----

    private static final String[] SUBJECTS = {"Emma", "Her brother", "Her manager", "Her best friend Anna",
        "Her neighbor", "Tom", "Her grandmother", "Her niece Sofia", "Her colleague Daniel", "Her yoga teacher"};
    private static final String[] VERBS = {"enjoys", "recently started", "is thinking about", "stopped",
        "talked a lot about", "is planning", "has been practicing", "wants to avoid", "keeps postponing",
        "was surprised by"};
    private static final String[] OBJECTS = {"baking sourdough bread", "running along the river", "learning Japanese",
        "a trip to Lisbon", "renovating the kitchen", "playing the acoustic guitar", "a new job in logistics",
        "adopting a rescue cat", "watercolor painting", "a vegetarian diet", "bouldering at the climbing gym",
        "reading science fiction", "a half marathon", "growing tomatoes on the balcony", "board game nights",
        "a course in machine learning", "volunteering at the animal shelter", "saving for a house",
        "a road trip through Portugal", "meditating every morning"};
    private static final String[] DETAILS = {"every weekend since last spring", "because it helps her relax",
        "with a group of friends from work", "after a long conversation with her mother",
        "although it takes more time than expected", "and mentions it in almost every chat",
        "to prepare for the summer holidays", "even when the weather is bad", "on Tuesday and Thursday evenings",
        "since moving to Rotterdam two years ago"};

    /** Varied sentences of about 15 words. */
    private static List<String> texts(int n, Random random) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(SUBJECTS[random.nextInt(SUBJECTS.length)] + " " + VERBS[random.nextInt(VERBS.length)] + " "
                    + OBJECTS[random.nextInt(OBJECTS.length)] + " " + DETAILS[random.nextInt(DETAILS.length)]
                    + " (note " + i + ").");
        }
        return out;
    }

    // ---- helpers ----

    private static double median(double[] values) {
        return percentile(values, 50);
    }

    private static double percentile(double[] values, double p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        double rank = p / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    private static double ms(double nanos) {
        return nanos / 1e6;
    }

    private static void progress(String format, Object... args) {
        System.err.printf(Locale.ROOT, "[bench] " + format + "%n", args);
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }
}
