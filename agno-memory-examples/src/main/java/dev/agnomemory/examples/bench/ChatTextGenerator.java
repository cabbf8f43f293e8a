package dev.agnomemory.examples.bench;

import java.util.Arrays;
import java.util.Random;

/**
 * Seeded chat-like texts for the conversation search benchmark: words drawn from a vocabulary of common English
 * words followed by {@value #INVENTED_WORDS} invented ones, with Zipf-distributed frequencies (as in real text a few
 * words are everywhere and most are rare), 4 to 40 words per message. Not meaningful text: it gives BM25 realistic
 * posting-list lengths and the embedding model realistic input lengths. Not thread-safe.
 */
final class ChatTextGenerator {

    static final int INVENTED_WORDS = 30_000;

    private static final String[] COMMON = {
        "i", "you", "the", "a", "to", "and", "it", "is", "that", "we", "my", "was", "for", "of", "in", "so", "have",
        "just", "with", "this", "me", "what", "do", "be", "on", "like", "your", "are", "really", "been", "great",
        "yeah", "how", "about", "time", "know", "think", "love", "going", "when", "did", "kids", "family", "work",
        "today", "weekend", "friends", "trip", "photo", "painting", "music", "book", "dog", "garden", "camping",
        "concert", "school", "job", "house", "beach", "birthday", "dinner", "hike", "class", "project", "car",
    };
    private static final String[] SYLLABLES = {"ka", "lo", "mi", "ren", "tu", "sa", "vel", "or", "in", "da", "pe",
        "sto", "bri", "an", "mar", "to", "ne", "li", "qua", "zen", "fo", "gar", "hu", "el", "ty"};

    private final Random random;
    private final String[] vocabulary;
    /** cumulative[i] = P(rank <= i), Zipf with exponent 1. */
    private final double[] cumulative;

    ChatTextGenerator(long seed) {
        random = new Random(seed);
        vocabulary = new String[COMMON.length + INVENTED_WORDS];
        System.arraycopy(COMMON, 0, vocabulary, 0, COMMON.length);
        Random words = new Random(seed ^ 0x5DEECE66DL);
        for (int i = COMMON.length; i < vocabulary.length; i++) {
            StringBuilder w = new StringBuilder();
            int syllables = 2 + words.nextInt(3);
            for (int s = 0; s < syllables; s++) {
                w.append(SYLLABLES[words.nextInt(SYLLABLES.length)]);
            }
            vocabulary[i] = w.toString();
        }
        cumulative = new double[vocabulary.length];
        double sum = 0;
        for (int i = 0; i < vocabulary.length; i++) {
            sum += 1.0 / (i + 1);
            cumulative[i] = sum;
        }
        for (int i = 0; i < cumulative.length; i++) {
            cumulative[i] /= sum;
        }
    }

    /** @return a message of 4 to 40 words */
    String message() {
        return words(4 + random.nextInt(37), true);
    }

    /** @return a query of 3 to 8 words */
    String query() {
        return words(3 + random.nextInt(6), false);
    }

    private String words(int count, boolean sentence) {
        StringBuilder sb = new StringBuilder(count * 7);
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                sb.append(sentence && random.nextInt(9) == 0 ? ", " : " ");
            }
            int rank = Arrays.binarySearch(cumulative, random.nextDouble());
            sb.append(vocabulary[Math.min(vocabulary.length - 1, rank < 0 ? -rank - 1 : rank)]);
        }
        if (sentence) {
            sb.setCharAt(0, Character.toUpperCase(sb.charAt(0)));
            sb.append(random.nextInt(4) == 0 ? "?" : ".");
        }
        return sb.toString();
    }
}
