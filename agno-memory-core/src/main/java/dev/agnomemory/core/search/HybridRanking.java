package dev.agnomemory.core.search;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.search.ScoreDoc;

/**
 * How the three rankings of a search are fused into one.
 *
 * <p>Rules:
 * <ul>
 *   <li>Each ranking lists the user's best {@link #DEPTH} messages: <b>words</b> (BM25 over the message's own
 *       text), <b>context</b> (BM25 over the message together with the {@link MessageDocuments#CONTEXT_BEFORE}
 *       messages before it in its session) and <b>meaning</b> (the nearest embedding vectors).</li>
 *   <li>Each ranking's scores are scaled to [0, 1]: its best score becomes 1 and the score at depth
 *       {@link #DEPTH} becomes 0. A word ranking shorter than that is scaled down to 0 (the messages it does not
 *       list contain none of the words); a shorter meaning ranking holds all of the user's messages and is scaled
 *       down to its lowest score. A message a ranking does not list gets 0 from it.</li>
 *   <li>The fused score is {@link #WORDS_WEIGHT} × words + {@link #CONTEXT_WEIGHT} × context + {@link #MEANING_WEIGHT}
 *       × meaning; higher is better, ties go to the earlier indexed message.</li>
 * </ul>
 * The weights and depth were chosen on the LoCoMo dev split (docs/benchmarks.md: scaled scores beat reciprocal-rank
 * fusion by 0.06 recall@10 there; results change little between depths 50 and 200 or nearby weights).
 */
final class HybridRanking {

    /** How many messages each ranking lists. */
    static final int DEPTH = 100;
    static final double WORDS_WEIGHT = 0.5;
    static final double CONTEXT_WEIGHT = 1.0;
    static final double MEANING_WEIGHT = 1.0;

    private HybridRanking() {
    }

    /** A document of the searched reader and its fused score. */
    record Ranked(int doc, double score) {
    }

    /**
     * Fuses three rankings.
     *
     * @param words the word ranking, best first
     * @param context the context ranking, best first
     * @param meaning the meaning ranking, best first
     * @return every listed document with its fused score, best first
     */
    static List<Ranked> fuse(ScoreDoc[] words, ScoreDoc[] context, ScoreDoc[] meaning) {
        Map<Integer, double[]> scores = new HashMap<>();
        add(scores, words, WORDS_WEIGHT, 0f);
        add(scores, context, CONTEXT_WEIGHT, 0f);
        add(scores, meaning, MEANING_WEIGHT, meaning.length == 0 ? 0f : meaning[meaning.length - 1].score);
        List<Ranked> ranked = new ArrayList<>(scores.size());
        scores.forEach((doc, score) -> ranked.add(new Ranked(doc, score[0])));
        ranked.sort((a, b) -> a.score != b.score ? Double.compare(b.score, a.score) : Integer.compare(a.doc, b.doc));
        return ranked;
    }

    private static void add(Map<Integer, double[]> scores, ScoreDoc[] ranking, double weight, float floorWhenShort) {
        if (ranking.length == 0) {
            return;
        }
        float max = ranking[0].score;
        float min = ranking.length >= DEPTH ? ranking[DEPTH - 1].score : floorWhenShort;
        for (ScoreDoc d : ranking) {
            double scaled = max > min ? Math.max(0.0, (d.score - min) / (double) (max - min)) : 1.0;
            scores.computeIfAbsent(d.doc, k -> new double[1])[0] += weight * scaled;
        }
    }
}
