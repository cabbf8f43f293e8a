package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agnomemory.core.Message;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.search.ConversationHit;
import dev.agnomemory.core.search.ConversationIndex;
import dev.agnomemory.core.search.ConversationQuery;
import dev.agnomemory.core.search.ConversationSearch;
import dev.agnomemory.core.search.LuceneConversationIndex;
import dev.agnomemory.core.search.PostgresConversationIndex;
import dev.agnomemory.core.search.TextEmbedder;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.storage.mapdb.MapDbStorage;
import dev.agnomemory.core.storage.postgres.PostgresStorage;
import dev.agnomemory.core.testing.PostgresServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.QueryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recall of the conversation search on LoCoMo (Maharana et al., ACL 2024), through the public API, on both storages:
 * each conversation is stored as one user's sessions (one session per LoCoMo session; a run starts at each turn of
 * the first speaker, whose turns are {@link Role#USER} messages, the other's {@link Role#ASSISTANT}; time: the
 * session's date; text: {@code "Speaker: text"}, plus the caption of a shared photo, as an app would store an image's
 * description) in a real {@link MapDbStorage} file and a real {@link PostgresStorage}; a {@link ConversationSearch}
 * over each (with a {@link LuceneConversationIndex} on disk, and the {@link PostgresConversationIndex} in the
 * storage's schema) indexes them and is asked every question with the in-process all-MiniLM-L6-v2. Recall@k is the
 * fraction of the question's evidence turns among the top k hits, averaged per category, as in the LoCoMo paper. In
 * the same run, plain Lucene BM25 (EnglishAnalyzer, one document per turn) over the same texts is measured as the
 * baseline that no category may fall below.
 *
 * <p>Each text is embedded once per test JVM, for both storages (the vectors are cached in memory for the run only).
 * Reads {@code shared/data/locomo-dev.json} next to the repository (never copied into it), skipped when absent;
 * {@code -Dlocomo.file=...} points elsewhere, {@code -Dlocomo.conversations=2} runs the first two conversations only.
 * About three minutes on 2 cores, most of it embedding 2,760 turns and 997 questions and searching. Figures and the
 * configurations tried are in docs/benchmarks.md.
 */
class ConversationSearchEvaluationTest {

    private static final int[] K = {5, 10, 25};
    private static final String[] CATEGORY = {"", "multi-hop", "temporal", "open-domain", "single-hop",
        "adversarial"};
    /** The order of the table's rows: LoCoMo's category numbers as the paper lists them. */
    private static final int[] ROWS = {4, 1, 2, 3, 5};
    private static final DateTimeFormatter SESSION_DATE = DateTimeFormatter.ofPattern("h:mm a 'on' d MMMM, yyyy",
            Locale.ENGLISH);

    /**
     * Floors just under the measured recall@10 (Lucene: overall 0.783; the target is 0.72): a regression of
     * about 0.02 fails.
     */
    private static final double LUCENE_OVERALL_FLOOR_AT_10 = 0.77;
    private static final Map<Integer, Double> LUCENE_CATEGORY_FLOORS_AT_10 = Map.of(
            4, 0.85, 1, 0.44, 2, 0.82, 3, 0.35, 5, 0.86);
    /** Floors just under the measured recall@10 of the PostgreSQL index (overall 0.790). */
    private static final double POSTGRES_OVERALL_FLOOR_AT_10 = 0.76;
    private static final Map<Integer, Double> POSTGRES_CATEGORY_FLOORS_AT_10 = Map.of(
            4, 0.84, 1, 0.43, 2, 0.80, 3, 0.33, 5, 0.85);

    @TempDir
    Path dir;

    @Test
    void recallAt5And10And25OnBothStoragesAgainstBm25Alone() throws IOException {
        Path file = LocomoRetrievalEvaluationTest.locate();
        assumeTrue(file != null, "LoCoMo data not found (shared/data/locomo-dev.json); skipping");
        int conversations = Integer.getInteger("locomo.conversations",
                LocomoRetrievalEvaluationTest.DEFAULT_CONVERSATIONS);
        JsonNode samples = new ObjectMapper().readTree(file.toFile());
        List<JsonNode> used = new ArrayList<>();
        for (int s = 0; s < Math.min(conversations, samples.size()); s++) {
            used.add(samples.get(s));
        }
        CachingEmbedder embedder = new CachingEmbedder(EmbeddingModelTextEmbedder.allMiniLmL6V2());
        embedder.model.embedAll(List.of("load the model")); // model loading is not part of the timings

        Run lucene;
        try (MapDbStorage storage = MapDbStorage.open(dir.resolve("locomo.db"))) {
            lucene = evaluate("MapDB + Lucene", used, storage, embedder, () -> LuceneConversationIndex.builder()
                    .directory(dir.resolve("index")).embedder(embedder).build());
        }
        Run postgres;
        try (PostgresServer.Database database = PostgresServer.shared().createDatabase("locomo");
                PostgresStorage storage = PostgresStorage.builder().dataSource(database.dataSource()).build()) {
            postgres = evaluate("PostgreSQL", used, storage, embedder, () -> PostgresConversationIndex.builder()
                    .storage(storage).embedder(embedder).build());
        }
        Recall bm25 = lucene.bm25;

        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "LoCoMo conversation search through ConversationSearch, %d "
                + "conversation(s), %d turns, %d questions%n", used.size(), lucene.turns, lucene.recall.count(0)));
        table.append(String.format(Locale.ROOT, "%-15s %9s | %-23s | %-23s | %-23s%n", "", "",
                "MapDB + Lucene index", "PostgreSQL index", "BM25 alone (baseline)"));
        table.append(String.format(Locale.ROOT, "%-15s %9s | %7s %7s %7s | %7s %7s %7s | %7s %7s %7s%n",
                "category", "questions", "R@5", "R@10", "R@25", "R@5", "R@10", "R@25", "R@5", "R@10", "R@25"));
        for (int c : ROWS) {
            if (bm25.count(c) > 0) {
                row(table, c + " " + CATEGORY[c], c, lucene.recall, postgres.recall, bm25);
            }
        }
        row(table, "overall", 0, lucene.recall, postgres.recall, bm25);
        table.append(String.format(Locale.ROOT,
                "skipped %d question(s) without valid evidence; ignored %d evidence id(s) matching no turn%n",
                lucene.skippedQuestions, lucene.ignoredEvidence));
        for (Run r : List.of(lucene, postgres)) {
            table.append(String.format(Locale.ROOT, "%s: storing %.1f s; indexing through the service %.1f s "
                    + "(%.1f ms/turn); %d texts embedded (turns and questions; cached for the next run); %d searches: "
                + "%.1f ms each%n",
                    r.name, r.storeNanos / 1e9, r.indexNanos / 1e9, r.indexNanos / 1e6 / r.turns, r.embeddedTexts,
                    r.recall.count(0), r.searchNanos / 1e6 / r.recall.count(0)));
        }
        System.out.print(table);

        assertThat(lucene.recall.count(0)).isPositive();
        for (Run r : List.of(lucene, postgres)) {
            for (int c : ROWS) {
                if (bm25.count(c) > 0) {
                    assertThat(r.recall.recall(c, 1)).as(r.name + ": recall@10 of category " + c
                            + " against BM25 alone\n" + table).isGreaterThanOrEqualTo(bm25.recall(c, 1));
                }
            }
        }
        if (conversations >= LocomoRetrievalEvaluationTest.DEFAULT_CONVERSATIONS) {
            assertFloors(lucene, LUCENE_OVERALL_FLOOR_AT_10, LUCENE_CATEGORY_FLOORS_AT_10, table);
            assertFloors(postgres, POSTGRES_OVERALL_FLOOR_AT_10, POSTGRES_CATEGORY_FLOORS_AT_10, table);
        }
    }

    private static void assertFloors(Run r, double overall, Map<Integer, Double> floors, StringBuilder table) {
        assertThat(r.recall.recall(0, 1)).as(r.name + ": overall recall@10\n" + table)
                .isGreaterThanOrEqualTo(overall);
        floors.forEach((c, floor) -> assertThat(r.recall.recall(c, 1))
                .as(r.name + ": recall@10 of category " + c + "\n" + table).isGreaterThanOrEqualTo(floor));
    }

    /** What one storage's run measured. */
    private static final class Run {
        final String name;
        final Recall recall = new Recall();
        final Recall bm25 = new Recall();
        int turns;
        int skippedQuestions;
        int ignoredEvidence;
        long storeNanos;
        long indexNanos;
        long searchNanos;
        int embeddedTexts;

        Run(String name) {
            this.name = name;
        }
    }

    private interface IndexFactory {
        ConversationIndex open();
    }

    private static Run evaluate(String name, List<JsonNode> samples, MemoryStorage storage, CachingEmbedder embedder,
            IndexFactory indexes) throws IOException {
        Run run = new Run(name);
        int embeddedBefore = embedder.computed.get();
        List<Conversation> conversations = new ArrayList<>();
        long t0 = System.nanoTime();
        for (JsonNode sample : samples) {
            conversations.add(Conversation.store(sample, storage));
        }
        run.storeNanos = System.nanoTime() - t0;
        try (ConversationIndex index = indexes.open();
                ConversationSearch search = ConversationSearch.builder().storage(storage).index(index).build()) {
            long i0 = System.nanoTime();
            search.catchUp();
            run.indexNanos = System.nanoTime() - i0;
            for (int s = 0; s < samples.size(); s++) {
                Conversation conversation = conversations.get(s);
                run.turns += conversation.turns.size();
                Bm25Baseline baseline = new Bm25Baseline(conversation);
                for (JsonNode qa : samples.get(s).get("qa")) {
                    int[] ignored = {0};
                    Set<String> evidence = LocomoRetrievalEvaluationTest.evidence(qa, conversation.turnIds(),
                            ignored);
                    run.ignoredEvidence += ignored[0];
                    int category = qa.path("category").asInt();
                    if (evidence.isEmpty() || category < 1 || category > 5) {
                        run.skippedQuestions++;
                        continue;
                    }
                    String question = qa.get("question").asText();
                    long q0 = System.nanoTime();
                    List<ConversationHit> hits = search.search(
                            new ConversationQuery(conversation.userId, question, K[K.length - 1], 0, null));
                    run.searchNanos += System.nanoTime() - q0;
                    run.recall.add(category, evidence, hits.stream().map(conversation::turnId).toList());
                    run.bm25.add(category, evidence, baseline.search(question, K[K.length - 1]));
                }
            }
        }
        run.embeddedTexts = embedder.computed.get() - embeddedBefore;
        return run;
    }

    private static void row(StringBuilder table, String name, int c, Recall lucene, Recall postgres, Recall bm25) {
        table.append(String.format(Locale.ROOT, "%-15s %9d | %7.3f %7.3f %7.3f | %7.3f %7.3f %7.3f | %7.3f %7.3f "
                + "%7.3f%n", name, bm25.count(c), lucene.recall(c, 0), lucene.recall(c, 1), lucene.recall(c, 2),
                postgres.recall(c, 0), postgres.recall(c, 1), postgres.recall(c, 2), bm25.recall(c, 0),
                bm25.recall(c, 1), bm25.recall(c, 2)));
    }

    /** Sums of recall@k per category; category 0 is overall. */
    private static final class Recall {
        private final double[][] sums = new double[6][K.length];
        private final int[] counts = new int[6];

        void add(int category, Set<String> evidence, List<String> ranked) {
            for (int k = 0; k < K.length; k++) {
                long found = ranked.subList(0, Math.min(K[k], ranked.size())).stream().filter(evidence::contains)
                        .count();
                double recall = (double) found / evidence.size();
                sums[category][k] += recall;
                sums[0][k] += recall;
            }
            counts[category]++;
            counts[0]++;
        }

        int count(int category) {
            return counts[category];
        }

        double recall(int category, int k) {
            return counts[category] == 0 ? 0 : sums[category][k] / counts[category];
        }
    }

    /** One LoCoMo sample stored as one user's sessions, and where each turn went. */
    private static final class Conversation {
        final String userId;
        /** Turn id to text, in order. */
        final Map<String, String> turns = new LinkedHashMap<>();
        private final Map<String, String> turnIdByPosition = new HashMap<>();

        private Conversation(String userId) {
            this.userId = userId;
        }

        Set<String> turnIds() {
            return turns.keySet();
        }

        static Conversation store(JsonNode sample, MemoryStorage storage) {
            Conversation c = new Conversation(sample.get("sample_id").asText());
            JsonNode conversation = sample.get("conversation");
            String firstSpeaker = conversation.path("speaker_a").asText();
            for (int n = 1; n < 1000; n++) {
                JsonNode session = conversation.get("session_" + n);
                JsonNode date = conversation.get("session_" + n + "_date_time");
                if (session == null || date == null) {
                    if (date == null) {
                        break;
                    }
                    continue; // a date without a session
                }
                SessionKey key = SessionKey.of(c.userId, "session_" + n);
                storage.getOrCreateSession(key, "locomo");
                Instant at = LocalDateTime.parse(date.asText().replace("am", "AM").replace("pm", "PM"),
                        SESSION_DATE).toInstant(ZoneOffset.UTC);
                List<Message> runMessages = new ArrayList<>();
                List<String> runTurnIds = new ArrayList<>();
                int runs = 0;
                for (JsonNode t : session) {
                    String id = LocomoRetrievalEvaluationTest.normalize(t.get("dia_id").asText());
                    if (id == null || c.turns.containsKey(id)) {
                        continue;
                    }
                    String speaker = t.path("speaker").asText();
                    if (speaker.equals(firstSpeaker) && !runMessages.isEmpty()) {
                        c.append(storage, key, "run-" + runs++, runMessages, runTurnIds);
                    }
                    String caption = t.path("blip_caption").asText("");
                    String text = speaker + ": " + t.path("text").asText()
                            + (caption.isBlank() ? "" : " [shares a photo: " + caption + "]");
                    runMessages.add(Message.builder(speaker.equals(firstSpeaker) ? Role.USER : Role.ASSISTANT)
                            .id(id).content(text).createdAt(at).build());
                    runTurnIds.add(id);
                    c.turns.put(id, text);
                }
                if (!runMessages.isEmpty()) {
                    c.append(storage, key, "run-" + runs, runMessages, runTurnIds);
                }
            }
            return c;
        }

        private void append(MemoryStorage storage, SessionKey key, String runId, List<Message> messages,
                List<String> ids) {
            List<MessagePosition> positions = storage.appendMessages(key, runId, List.copyOf(messages));
            storage.completeRun(key, runId);
            for (int i = 0; i < positions.size(); i++) {
                turnIdByPosition.put(key.sessionId() + "/" + positions.get(i), ids.get(i));
            }
            messages.clear();
            ids.clear();
        }

        String turnId(ConversationHit hit) {
            return turnIdByPosition.get(hit.message().sessionId() + "/" + hit.message().position());
        }
    }

    /** MiniLM, each distinct text embedded once per test JVM, for both storages (in memory, for the run only). */
    private static final class CachingEmbedder implements TextEmbedder {
        final AtomicInteger computed = new AtomicInteger();
        final EmbeddingModelTextEmbedder model;
        private final Map<String, float[]> vectors = new ConcurrentHashMap<>();

        CachingEmbedder(EmbeddingModelTextEmbedder model) {
            this.model = model;
        }

        @Override
        public String modelId() {
            return model.modelId();
        }

        @Override
        public int dimensions() {
            return model.dimensions();
        }

        @Override
        public List<float[]> embedAll(List<String> texts) {
            List<String> missing = texts.stream().filter(t -> !vectors.containsKey(t)).distinct().toList();
            if (!missing.isEmpty()) {
                List<float[]> computedVectors = model.embedAll(missing);
                computed.addAndGet(missing.size());
                for (int i = 0; i < missing.size(); i++) {
                    vectors.put(missing.get(i), computedVectors.get(i));
                }
            }
            Function<String, float[]> get = vectors::get;
            return texts.stream().map(get).toList();
        }
    }

    /** The baseline: Lucene's BM25 with its EnglishAnalyzer, one document per turn, the question as words. */
    private static final class Bm25Baseline {
        private final IndexSearcher searcher;
        private final EnglishAnalyzer analyzer = new EnglishAnalyzer();

        Bm25Baseline(Conversation c) throws IOException {
            ByteBuffersDirectory directory = new ByteBuffersDirectory();
            try (IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig(analyzer))) {
                c.turns.forEach((turn, text) -> {
                    Document d = new Document();
                    d.add(new StoredField("turn", turn));
                    d.add(new TextField("text", text, Field.Store.NO));
                    try {
                        writer.addDocument(d);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
            searcher = new IndexSearcher(DirectoryReader.open(directory));
        }

        List<String> search(String question, int k) throws IOException {
            List<String> turns = new ArrayList<>();
            Query query = new QueryBuilder(analyzer).createBooleanQuery("text", question);
            if (query == null) {
                return turns;
            }
            for (ScoreDoc d : searcher.search(query, k).scoreDocs) {
                turns.add(searcher.storedFields().document(d.doc).get("turn"));
            }
            return turns;
        }
    }
}
