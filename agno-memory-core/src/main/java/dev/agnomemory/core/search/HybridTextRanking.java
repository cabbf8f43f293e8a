package dev.agnomemory.core.search;

import dev.agnomemory.core.internal.Require;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.NumericUtils;

/**
 * The conversation index's ranking ({@link HybridRanking}: words and meaning, scaled and fused) for a small set of
 * texts held in memory, such as one user's memories: built once over the texts, then asked any number of queries.
 *
 * <p>Rules:
 * <ul>
 *   <li><b>Words</b>: BM25 over each text with the index's parameters and analyzer (stop words, stemming), in a
 *       Lucene index on the heap. A text has no conversation around it, so its context ranking is its word
 *       ranking, as for the first message of a session.</li>
 *   <li><b>Meaning</b>: the caller's similarity of each text to the query (for example the cosine of their
 *       embedding vectors), so the vectors stay where the caller keeps them.</li>
 *   <li>The rankings are fused by {@link HybridRanking}'s rules (each ranking's best {@code DEPTH} entries, scores
 *       scaled to [0, 1], weighted sum); ties go to the lower index.</li>
 *   <li>Immutable and thread-safe; it holds the texts' index on the heap (about the size of the texts).</li>
 * </ul>
 */
public final class HybridTextRanking {

    private static final String WORDS = "words";
    private static final ConversationAnalyzer ANALYZER = new ConversationAnalyzer();
    private static final BM25Similarity SIMILARITY = new BM25Similarity(HybridRanking.BM25_K1,
            HybridRanking.BM25_B);

    private final int size;
    private final IndexSearcher searcher;

    private HybridTextRanking(int size, IndexSearcher searcher) {
        this.size = size;
        this.searcher = searcher;
    }

    /**
     * Indexes the texts' words.
     *
     * @param texts the texts, not null, no null elements; their positions are the indexes {@link #rank} returns
     * @return the ranking over them
     */
    public static HybridTextRanking over(List<String> texts) {
        Require.notNull(texts, "texts");
        ByteBuffersDirectory directory = new ByteBuffersDirectory();
        try (IndexWriter writer = new IndexWriter(directory, new IndexWriterConfig(ANALYZER)
                .setSimilarity(SIMILARITY).setOpenMode(IndexWriterConfig.OpenMode.CREATE))) {
            for (String text : texts) {
                Document d = new Document();
                d.add(new TextField(WORDS, Require.notNull(text, "text"), Field.Store.NO));
                writer.addDocument(d); // document number = position: one segment, added in order, none deleted
            }
            writer.forceMerge(1);
        } catch (IOException e) {
            throw new UncheckedIOException("Indexing texts on the heap failed", e);
        }
        try {
            IndexSearcher searcher = new IndexSearcher(DirectoryReader.open(directory));
            searcher.setSimilarity(SIMILARITY);
            return new HybridTextRanking(texts.size(), searcher);
        } catch (IOException e) {
            throw new UncheckedIOException("Opening the texts' index on the heap failed", e);
        }
    }

    /** @return how many texts are ranked */
    public int size() {
        return size;
    }

    /**
     * Ranks the texts for a query.
     *
     * @param query the query's text, not null (with no searchable word, only the meaning counts)
     * @param similarity the meaning score of each text, in the order of the texts; higher is more similar
     * @param limit how many to return at most, greater than 0
     * @return the positions of the best texts, best first
     */
    public List<Integer> rank(String query, float[] similarity, int limit) {
        Require.notNull(query, "query");
        Require.notNull(similarity, "similarity");
        Require.positive(limit, "limit");
        if (similarity.length != size) {
            throw new IllegalArgumentException("similarity must have one score per text (" + size + "), but has "
                    + similarity.length);
        }
        List<HybridRanking.Scored> words = words(query);
        List<HybridRanking.Scored> fused = HybridRanking.fuse(words, words, meaning(similarity));
        List<Integer> out = new ArrayList<>(Math.min(limit, fused.size()));
        for (HybridRanking.Scored s : fused.subList(0, Math.min(limit, fused.size()))) {
            out.add((int) s.id());
        }
        return out;
    }

    private List<HybridRanking.Scored> words(String query) {
        Map<String, Integer> terms = ANALYZER.queryTerms(WORDS, query);
        if (terms.isEmpty() || size == 0) {
            return List.of();
        }
        BooleanQuery.Builder any = new BooleanQuery.Builder();
        terms.forEach((word, count) -> {
            Query term = new TermQuery(new Term(WORDS, word));
            any.add(count == 1 ? term : new BoostQuery(term, count), Occur.SHOULD);
        });
        try {
            ScoreDoc[] top = searcher.search(any.build(), HybridRanking.DEPTH).scoreDocs;
            List<HybridRanking.Scored> out = new ArrayList<>(top.length);
            for (ScoreDoc d : top) {
                out.add(new HybridRanking.Scored(d.doc, d.score));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("Searching the texts' index on the heap failed", e);
        }
    }

    /** The best {@code DEPTH} texts by similarity, best first (ties: lower position first). */
    private static List<HybridRanking.Scored> meaning(float[] similarity) {
        // One primitive sort: the high half orders by score, descending; the low half is the position.
        long[] keys = new long[similarity.length];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = ((long) ~NumericUtils.floatToSortableInt(similarity[i]) << 32) | i;
        }
        Arrays.sort(keys);
        int n = Math.min(HybridRanking.DEPTH, keys.length);
        List<HybridRanking.Scored> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int position = (int) keys[i];
            out.add(new HybridRanking.Scored(position, similarity[position]));
        }
        return out;
    }
}
