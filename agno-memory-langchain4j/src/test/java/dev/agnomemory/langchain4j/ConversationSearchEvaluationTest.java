package dev.agnomemory.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.search.ConversationHit;
import dev.agnomemory.core.search.ConversationQuery;
import dev.agnomemory.core.search.IndexedMessage;
import dev.agnomemory.core.search.LuceneConversationIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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

/**
 * Recall of the conversation search on LoCoMo (Maharana et al., ACL 2024), through the public API: each
 * conversation is one user, each LoCoMo session one session, each turn one message (time: the session's date;
 * text: {@code "Speaker: text"}, plus the caption of a shared photo, as an app would store an image's description;
 * the first speaker's turns as {@link Role#USER}, the other's as {@link Role#ASSISTANT}). Every question is a
 * {@link LuceneConversationIndex#search} of its conversation's user with the in-process all-MiniLM-L6-v2;
 * recall@k is the fraction of the question's evidence turns among the top k hits, averaged per category, as in the
 * LoCoMo paper. In the same run, plain Lucene BM25 (EnglishAnalyzer, one document per turn) over the same texts is
 * measured as the baseline that no category may fall below.
 *
 * <p>Reads {@code shared/data/locomo-dev.json} next to the repository (never copied into it), skipped when absent;
 * {@code -Dlocomo.file=...} points elsewhere, {@code -Dlocomo.conversations=2} runs the first two conversations
 * only. About 30 s on 2 cores, most of it embedding 2,760 turns. Figures and the configurations tried are in
 * docs/benchmarks.md.
 */
class ConversationSearchEvaluationTest {

    private static final int[] K = {5, 10, 25};
    private static final String[] CATEGORY = {"", "multi-hop", "temporal", "open-domain", "single-hop",
        "adversarial"};
    /** The order of the table's rows: LoCoMo's category numbers as the paper lists them. */
    private static final int[] ROWS = {4, 1, 2, 3, 5};
    private static final DateTimeFormatter SESSION_DATE = DateTimeFormatter.ofPattern("h:mm a 'on' d MMMM, yyyy",
            Locale.ENGLISH);

    /** Floors just under the measured recall@10 (overall 0.788): a regression of about 0.02 fails. */
    private static final double OVERALL_FLOOR_AT_10 = 0.77;
    private static final Map<Integer, Double> CATEGORY_FLOORS_AT_10 = Map.of(
            4, 0.85, 1, 0.44, 2, 0.82, 3, 0.35, 5, 0.86);

    @Test
    void recallAt5And10And25AgainstBm25Alone() throws IOException {
        Path file = LocomoRetrievalEvaluationTest.locate();
        assumeTrue(file != null, "LoCoMo data not found (shared/data/locomo-dev.json); skipping");
        int conversations = Integer.getInteger("locomo.conversations",
                LocomoRetrievalEvaluationTest.DEFAULT_CONVERSATIONS);
        JsonNode samples = new ObjectMapper().readTree(file.toFile());

        Recall hybrid = new Recall();
        Recall bm25 = new Recall();
        int turns = 0;
        int ignoredEvidence = 0;
        int skippedQuestions = 0;
        long indexNanos = 0;
        long searchNanos = 0;
        EmbeddingModelTextEmbedder embedder = EmbeddingModelTextEmbedder.allMiniLmL6V2();
        embedder.embedAll(List.of("load the model")); // model loading is not part of the timings
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().inMemory().embedder(embedder)
                .build()) {
            for (int s = 0; s < Math.min(conversations, samples.size()); s++) {
                JsonNode sample = samples.get(s);
                Conversation conversation = Conversation.read(sample);
                turns += conversation.messages.size();
                long t0 = System.nanoTime();
                index.add(conversation.messages);
                indexNanos += System.nanoTime() - t0;
                Bm25Baseline baseline = new Bm25Baseline(conversation);

                for (JsonNode qa : sample.get("qa")) {
                    int[] ignored = {0};
                    Set<String> evidence = LocomoRetrievalEvaluationTest.evidence(qa, conversation.turnIds, ignored);
                    ignoredEvidence += ignored[0];
                    int category = qa.path("category").asInt();
                    if (evidence.isEmpty() || category < 1 || category > 5) {
                        skippedQuestions++;
                        continue;
                    }
                    String question = qa.get("question").asText();
                    long q0 = System.nanoTime();
                    List<ConversationHit> hits = index.search(
                            new ConversationQuery(conversation.userId, question, K[K.length - 1], 0, null));
                    searchNanos += System.nanoTime() - q0;
                    hybrid.add(category, evidence, hits.stream().map(h -> conversation.turnId(h.message())).toList());
                    bm25.add(category, evidence, baseline.search(question, K[K.length - 1]));
                }
            }
        }

        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT,
                "LoCoMo conversation search, %d conversation(s), %d turns, %d questions%n",
                Math.min(conversations, samples.size()), turns, hybrid.count(0)));
        table.append(String.format(Locale.ROOT, "%-15s %9s | %-23s | %-23s%n", "", "",
                "hybrid (this index)", "BM25 alone (baseline)"));
        table.append(String.format(Locale.ROOT, "%-15s %9s | %7s %7s %7s | %7s %7s %7s%n", "category", "questions",
                "R@5", "R@10", "R@25", "R@5", "R@10", "R@25"));
        for (int c : ROWS) {
            if (hybrid.count(c) > 0) {
                row(table, c + " " + CATEGORY[c], c, hybrid, bm25);
            }
        }
        row(table, "overall", 0, hybrid, bm25);
        table.append(String.format(Locale.ROOT,
                "skipped %d question(s) without valid evidence; ignored %d evidence id(s) matching no turn%n",
                skippedQuestions, ignoredEvidence));
        table.append(String.format(Locale.ROOT, "indexing %d turns: %.1f s (%.1f ms/turn); %d searches: %.1f ms each%n",
                turns, indexNanos / 1e9, indexNanos / 1e6 / turns, hybrid.count(0),
                searchNanos / 1e6 / hybrid.count(0)));
        System.out.print(table);

        assertThat(hybrid.count(0)).isPositive();
        for (int c : ROWS) {
            if (hybrid.count(c) > 0) {
                assertThat(hybrid.recall(c, 1)).as("recall@10 of category " + c + " against BM25 alone\n" + table)
                        .isGreaterThanOrEqualTo(bm25.recall(c, 1));
            }
        }
        if (conversations >= LocomoRetrievalEvaluationTest.DEFAULT_CONVERSATIONS) {
            assertThat(hybrid.recall(0, 1)).as("overall recall@10\n" + table)
                    .isGreaterThanOrEqualTo(OVERALL_FLOOR_AT_10);
            CATEGORY_FLOORS_AT_10.forEach((c, floor) -> assertThat(hybrid.recall(c, 1))
                    .as("recall@10 of category " + c + "\n" + table).isGreaterThanOrEqualTo(floor));
        }
    }

    private static void row(StringBuilder table, String name, int c, Recall hybrid, Recall bm25) {
        table.append(String.format(Locale.ROOT, "%-15s %9d | %7.3f %7.3f %7.3f | %7.3f %7.3f %7.3f%n", name,
                hybrid.count(c), hybrid.recall(c, 0), hybrid.recall(c, 1), hybrid.recall(c, 2), bm25.recall(c, 0),
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

    /** One LoCoMo sample as one user's sessions. */
    private static final class Conversation {
        final String userId;
        final List<IndexedMessage> messages = new ArrayList<>();
        final Set<String> turnIds = new LinkedHashSet<>();
        private final Map<String, String> turnIdByMessage = new HashMap<>();

        private Conversation(String userId) {
            this.userId = userId;
        }

        static Conversation read(JsonNode sample) {
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
                Instant at = LocalDateTime.parse(date.asText().replace("am", "AM").replace("pm", "PM"),
                        SESSION_DATE).toInstant(ZoneOffset.UTC);
                int turn = 0;
                for (JsonNode t : session) {
                    String id = LocomoRetrievalEvaluationTest.normalize(t.get("dia_id").asText());
                    if (id == null || !c.turnIds.add(id)) {
                        continue;
                    }
                    String speaker = t.path("speaker").asText();
                    String caption = t.path("blip_caption").asText("");
                    String text = speaker + ": " + t.path("text").asText()
                            + (caption.isBlank() ? "" : " [shares a photo: " + caption + "]");
                    MessagePosition position = new MessagePosition(turn++, 0);
                    c.messages.add(new IndexedMessage(key, id, position,
                            speaker.equals(firstSpeaker) ? Role.USER : Role.ASSISTANT, at, text));
                    c.turnIdByMessage.put(key.sessionId() + "/" + position, id);
                }
            }
            return c;
        }

        String turnId(IndexedMessage m) {
            return turnIdByMessage.get(m.sessionId() + "/" + m.position());
        }
    }

    /** The baseline: Lucene's BM25 with its EnglishAnalyzer, one document per turn, the question as words. */
    private static final class Bm25Baseline {
        private final IndexSearcher searcher;
        private final EnglishAnalyzer analyzer = new EnglishAnalyzer();

        Bm25Baseline(Conversation c) throws IOException {
            ByteBuffersDirectory directory = new ByteBuffersDirectory();
            try (IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig(analyzer))) {
                for (IndexedMessage m : c.messages) {
                    Document d = new Document();
                    d.add(new StoredField("turn", c.turnId(m)));
                    d.add(new TextField("text", m.text(), Field.Store.NO));
                    writer.addDocument(d);
                }
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
