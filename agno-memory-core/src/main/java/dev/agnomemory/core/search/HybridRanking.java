package dev.agnomemory.core.search;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How the three rankings of a search are fused into one, for every {@link ConversationIndex} of this package: the
 * rankings are plain lists of (message id, score), so the Lucene and the PostgreSQL index share the rule.
 *
 * <p>Rules:
 * <ul>
 *   <li>Each ranking lists the user's best {@link #DEPTH} messages: <b>words</b> (BM25, k1 = {@value #BM25_K1},
 *       b = {@value #BM25_B}, over the message's own
 *       text), <b>context</b> (BM25 over the message together with the {@link MessageDocuments#CONTEXT_BEFORE}
 *       messages before it in its session) and <b>meaning</b> (the nearest embedding vectors).</li>
 *   <li>An index whose nearest-vector search is approximate and costs more with depth (Lucene's HNSW) lists the
 *       best {@link #APPROXIMATE_MEANING_DEPTH} by meaning instead; that ranking is scaled down to its lowest score,
 *       as a short meaning ranking is.</li>
 *   <li>Each ranking's scores are scaled to [0, 1]: its best score becomes 1 and the score at depth
 *       {@link #DEPTH} becomes 0. A word ranking shorter than that is scaled down to 0 (the messages it does not
 *       list contain none of the words); a shorter meaning ranking holds all of the user's messages and is scaled
 *       down to its lowest score. A message a ranking does not list gets 0 from it.</li>
 *   <li>The fused score is {@link #WORDS_WEIGHT} × words + {@link #CONTEXT_WEIGHT} × context + {@link #MEANING_WEIGHT}
 *       × meaning; higher is better, ties go to the lower id (the earlier indexed message).</li>
 * </ul>
 * The weights and depth were chosen on the LoCoMo dev split (docs/benchmarks.md: scaled scores beat reciprocal-rank
 * fusion by 0.06 recall@10 there; results change little between depths 50 and 200 or nearby weights).
 */
final class HybridRanking {

    /** How many messages each ranking lists. */
    static final int DEPTH = 100;
    /**
     * How many messages the meaning ranking lists in an index whose nearest-vector search is approximate (HNSW, whose
     * cost grows with the depth: top 50 took about 7 ms instead of 10 among 100,000 messages). Measured on the LoCoMo
     * dev split through the Lucene index: recall@10 0.786 at 50, 0.783 at 100 (docs/benchmarks.md).
     */
    static final int APPROXIMATE_MEANING_DEPTH = 50;
    static final double WORDS_WEIGHT = 0.5;
    static final double CONTEXT_WEIGHT = 1.0;
    static final double MEANING_WEIGHT = 1.0;
    /**
     * BM25's term-frequency saturation for the word and context rankings (Lucene's default). Its length
     * normalization is {@link #BM25_B} = 0.4 instead of Lucene's 0.75: messages vary in length less than documents
     * do, so length matters less (measured on LoCoMo).
     */
    static final float BM25_K1 = 1.2f;
    static final float BM25_B = 0.4f;

    private HybridRanking() {
    }

    /**
     * A message of one ranking, or of the fused one, with its score.
     *
     * @param id the message's id in its index (a Lucene document number, a database row id)
     * @param score higher is better
     */
    record Scored(long id, double score) {
    }

    /**
     * Fuses three rankings.
     *
     * @param words the word ranking, best first
     * @param context the context ranking, best first
     * @param meaning the meaning ranking, best first
     * @return every listed message with its fused score, best first
     */
    static List<Scored> fuse(List<Scored> words, List<Scored> context, List<Scored> meaning) {
        Map<Long, double[]> scores = new HashMap<>();
        add(scores, words, WORDS_WEIGHT, 0);
        add(scores, context, CONTEXT_WEIGHT, 0);
        add(scores, meaning, MEANING_WEIGHT, meaning.isEmpty() ? 0 : meaning.get(meaning.size() - 1).score());
        List<Scored> ranked = new ArrayList<>(scores.size());
        scores.forEach((id, score) -> ranked.add(new Scored(id, score[0])));
        ranked.sort((a, b) -> a.score() != b.score() ? Double.compare(b.score(), a.score())
                : Long.compare(a.id(), b.id()));
        return ranked;
    }

    private static void add(Map<Long, double[]> scores, List<Scored> ranking, double weight, double floorWhenShort) {
        if (ranking.isEmpty()) {
            return;
        }
        double max = ranking.get(0).score();
        double min = ranking.size() >= DEPTH ? ranking.get(DEPTH - 1).score() : floorWhenShort;
        for (Scored s : ranking) {
            double scaled = max > min ? Math.max(0.0, (s.score() - min) / (max - min)) : 1.0;
            scores.computeIfAbsent(s.id(), k -> new double[1])[0] += weight * scaled;
        }
    }
}
