package dev.agnomemory.examples.bench;

import java.util.Random;

/**
 * A fixed pool of random-ish chat texts of about {@value #TARGET_LENGTH} characters, generated from a seed so
 * every run of the benchmark writes the same bytes. Immutable, safe to share between threads.
 */
final class TextPool {

    static final int TARGET_LENGTH = 200;

    private static final String[] WORDS = {
        "the", "memory", "agent", "session", "run", "message", "user", "assistant", "storage", "journal", "index",
        "durable", "write", "read", "please", "could", "you", "explain", "why", "how", "what", "when", "order",
        "invoice", "refund", "shipping", "address", "Berlin", "Lisbon", "Tokyo", "price", "discount", "ticket",
        "account", "password", "reset", "thanks", "hello", "again", "yesterday", "tomorrow", "meeting", "summary",
        "calendar", "weather", "flight", "hotel", "booking", "cancel", "change", "status", "delivery", "package",
        "number", "email", "phone", "support", "problem", "error", "works", "fine", "great", "sure", "maybe",
        "model", "answer", "question", "context", "window", "token", "latency", "database", "file", "disk",
        "crash", "restart", "recover", "checkpoint", "commit", "batch", "thread", "lock", "queue", "client",
        "server", "request", "response", "timeout", "retry", "limit", "quota", "plan", "upgrade", "downgrade",
        "monthly", "yearly", "receipt", "note", "reminder", "list", "item", "coffee", "train", "station",
    };
    private static final String[] PUNCT = {" ", " ", " ", " ", " ", ", ", ". ", "? ", "! ", " - "};

    private final String[] texts;

    /**
     * @param seed random seed
     * @param count how many distinct texts the pool holds
     */
    TextPool(long seed, int count) {
        Random random = new Random(seed);
        texts = new String[count];
        for (int i = 0; i < count; i++) {
            // 190..210 characters
            int length = TARGET_LENGTH - 10 + random.nextInt(21);
            StringBuilder sb = new StringBuilder(length + 16);
            while (sb.length() < length) {
                String w = WORDS[random.nextInt(WORDS.length)];
                if (sb.length() == 0 || sb.charAt(sb.length() - 2) == '.') {
                    w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
                }
                sb.append(w);
                if (random.nextInt(12) == 0) {
                    sb.append(' ').append(random.nextInt(100_000));
                }
                sb.append(PUNCT[random.nextInt(PUNCT.length)]);
            }
            sb.setLength(length);
            texts[i] = sb.toString();
        }
    }

    /** @return text number {@code i} (wrapping around the pool) */
    String get(long i) {
        return texts[(int) Math.floorMod(i, (long) texts.length)];
    }
}
