package dev.agnomemory.core.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.SessionKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LuceneConversationIndexTest {

    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

    @TempDir
    Path dir;

    static IndexedMessage message(String user, String session, long run, int index, Role role, String text) {
        return new IndexedMessage(SessionKey.of(user, session), "run-" + run, new MessagePosition(run, index), role,
                T0.plusSeconds(run * 60 + index), text);
    }

    /** A session as alternating user/assistant messages, two per run. */
    static List<IndexedMessage> session(String user, String session, String... texts) {
        List<IndexedMessage> out = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            out.add(message(user, session, i / 2, i % 2, i % 2 == 0 ? Role.USER : Role.ASSISTANT, texts[i]));
        }
        return out;
    }

    static LuceneConversationIndex inMemory(TextEmbedder embedder) {
        return LuceneConversationIndex.builder().inMemory().embedder(embedder).build();
    }

    @Test
    void findsMessagesByWordsWithEverythingAHitCarries() {
        try (LuceneConversationIndex index = inMemory(new HashingEmbedder())) {
            index.add(session("alice", "trip", "We are planning a trip to Lisbon in June", "Lisbon is lovely then",
                    "Book the hotel near the river", "Done, the hotel is booked"));
            index.add(session("alice", "work", "My manager wants the quarterly report", "When is it due?"));

            List<ConversationHit> hits = index.search("alice", "quarterly report", 3);

            assertThat(hits).isNotEmpty();
            ConversationHit top = hits.get(0);
            assertThat(top.message()).isEqualTo(message("alice", "work", 0, 0, Role.USER,
                    "My manager wants the quarterly report"));
            assertThat(top.message().runId()).isEqualTo("run-0");
            assertThat(top.message().createdAt()).isEqualTo(T0);
            assertThat(top.score()).isPositive();
            assertThat(top.before()).isEmpty();
            assertThat(top.after()).extracting(IndexedMessage::text).containsExactly("When is it due?");
            assertThat(hits).extracting(h -> h.score()).isSortedAccordingTo((a, b) -> Double.compare(b, a));
        }
    }

    @Test
    void neighboursFollowPositionsAcrossRuns() {
        try (LuceneConversationIndex index = inMemory(new HashingEmbedder())) {
            index.add(session("alice", "s", "one", "two", "three", "four giraffe", "five", "six", "seven"));

            ConversationHit hit = index.search(new ConversationQuery("alice", "giraffe", 1, 2, null)).get(0);

            assertThat(hit.message().position()).isEqualTo(new MessagePosition(1, 1));
            assertThat(hit.before()).extracting(IndexedMessage::text).containsExactly("two", "three");
            assertThat(hit.after()).extracting(IndexedMessage::text).containsExactly("five", "six");
            assertThat(index.search(new ConversationQuery("alice", "giraffe", 1, 0, null)).get(0).after()).isEmpty();
        }
    }

    @Test
    void aReplyIsFoundByTheMessagesBeforeIt() {
        try (LuceneConversationIndex index = inMemory(noMeaning())) {
            for (int i = 0; i < 30; i++) { // other sessions, so the words are rare
                index.add(session("alice", "other-" + i, "How is the weather " + i, "Sunny and warm " + i));
            }
            // The question and its answer arrive in separate calls: the context is read back from the index.
            index.add(List.of(message("alice", "museum", 0, 0, Role.USER, "Did you visit the Louvre museum?")));
            index.add(List.of(message("alice", "museum", 0, 1, Role.ASSISTANT, "Yes, it was amazing!")));

            List<ConversationHit> hits = index.search(new ConversationQuery("alice", "Louvre museum", 5, 0, null));

            assertThat(hits).extracting(h -> h.message().text()).startsWith("Did you visit the Louvre museum?",
                    "Yes, it was amazing!");
        }
    }

    /** Every vector the same: the meaning ranking adds the same 1.0 to every message, so only words rank. */
    static TextEmbedder noMeaning() {
        return new HashingEmbedder("constant", 8) {
            @Override
            public List<float[]> embedAll(List<String> batch) {
                return batch.stream().map(t -> new float[] {1, 0, 0, 0, 0, 0, 0, 0}).toList();
            }
        };
    }

    /** The texts of the messages that matched by words, not by the (constant) meaning alone. */
    private static List<String> matchedByWords(ConversationIndex index, String query) {
        return index.search(new ConversationQuery("alice", query, 50, 0, null)).stream()
                .filter(h -> h.score() > 1.0 + 1e-9).map(h -> h.message().text()).sorted().toList();
    }

    @Test
    void theContextIsTheTwoMessagesBeforeAfterRestartsAndOutOfOrderAdds() {
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(noMeaning()).build()) {
            index.add(session("alice", "s", "m0 alpha", "m1", "m2"));
        }
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(noMeaning()).build()) {
            index.add(session("alice", "s", "m0 alpha", "m1", "m2", "m3 beta").subList(3, 4)); // read from the index
            index.add(List.of(message("alice", "s", 2, 0, Role.USER, "m4 gamma")));
            index.add(session("alice", "s", "m0 alpha", "m1").subList(1, 2)); // a replay, out of order
            index.add(List.of(message("alice", "s", 2, 1, Role.ASSISTANT, "m5")));

            assertThat(matchedByWords(index, "alpha")).containsExactly("m0 alpha", "m1", "m2");
            assertThat(matchedByWords(index, "beta")).containsExactly("m3 beta", "m4 gamma", "m5");
            assertThat(matchedByWords(index, "gamma")).containsExactly("m4 gamma", "m5");
        }
    }

    @Test
    void addingAMessageAgainReplacesItAndBlankTextsAreSkipped() {
        HashingEmbedder embedder = new HashingEmbedder();
        try (LuceneConversationIndex index = inMemory(embedder)) {
            index.add(session("alice", "s", "first version", "reply"));
            index.add(List.of(message("alice", "s", 0, 0, Role.USER, "second version"),
                    message("alice", "s", 1, 0, Role.ASSISTANT, "   ")));

            assertThat(index.size()).isEqualTo(2);
            assertThat(index.search("alice", "version", 5)).extracting(h -> h.message().text())
                    .contains("second version").doesNotContain("first version");
            assertThat(index.lastIndexedPosition(SessionKey.of("alice", "s"))).contains(new MessagePosition(0, 1));
            assertThat(index.lastIndexedPosition(SessionKey.of("alice", "none"))).isEmpty();
        }
    }

    @Test
    void exoticAndHugeTextsRoundTripExactly() {
        String exotic = "emoji \uD83D\uDE00 nul \u0000 lone \uD800 surrogate \uDC00 rtl \u05E9\u05DC\u05D5\u05DD "
                + "zalgo Z\u0351\u0352\u0353";
        String huge = "needle " + "lorem ipsum dolor sit amet ".repeat(40_000);
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(new HashingEmbedder()).build()) {
            index.add(List.of(message("u\uD800", "s\u0000", 0, 0, Role.USER, exotic),
                    message("u\uD800", "s\u0000", 1, 0, Role.USER, huge)));
        }
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(new HashingEmbedder()).build()) {
            assertThat(index.search("u\uD800", "emoji surrogate", 1).get(0).message().text()).isEqualTo(exotic);
            ConversationHit needle = index.search("u\uD800", "needle", 1).get(0);
            assertThat(needle.message().text()).isEqualTo(huge);
            assertThat(needle.message().session()).isEqualTo(SessionKey.of("u\uD800", "s\u0000"));
        }
    }

    @Test
    void badArgumentsAreRefusedNamingTheParameter() {
        try (LuceneConversationIndex index = inMemory(new HashingEmbedder())) {
            assertThatThrownBy(() -> index.search("alice", " ", 5)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("text");
            assertThatThrownBy(() -> index.search("alice", "x", 0)).hasMessageContaining("limit");
            assertThatThrownBy(() -> index.search("", "x", 5)).hasMessageContaining("userId");
            assertThatThrownBy(() -> index.search(new ConversationQuery("a", "x", 5, 51, null)))
                    .hasMessageContaining("neighbours");
            assertThatThrownBy(() -> index.add(null)).hasMessageContaining("messages");
            assertThatThrownBy(() -> index.add(List.of(message("a".repeat(9000), "s", 0, 0, Role.USER, "x"))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("userId");
            assertThatThrownBy(() -> index.removeUser(" ")).hasMessageContaining("userId");
            assertThatThrownBy(() -> LuceneConversationIndex.builder().inMemory().build())
                    .hasMessageContaining("embedder");
            assertThatThrownBy(() -> LuceneConversationIndex.builder().embedder(new HashingEmbedder()).build())
                    .hasMessageContaining("directory");
        }
    }

    @Test
    void aMisbehavingEmbedderIsReportedAndNothingIsIndexed() {
        TextEmbedder wrongDimensions = new HashingEmbedder("liar", 8) {
            @Override
            public List<float[]> embedAll(List<String> batch) {
                return batch.stream().map(t -> new float[3]).toList();
            }
        };
        try (LuceneConversationIndex index = inMemory(wrongDimensions)) {
            assertThatThrownBy(() -> index.add(session("alice", "s", "hello")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("liar")
                    .hasMessageContaining("3 dimensions");
            assertThat(index.size()).isZero();
        }
    }

    @Test
    void vectorsSurviveARestartWithoutBeingRecomputed() {
        HashingEmbedder embedder = new HashingEmbedder();
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir).embedder(embedder)
                .build()) {
            index.add(session("alice", "s", "the red kite flies", "over the hill", "then lands"));
        }
        assertThat(embedder.texts.get()).isEqualTo(3);
        embedder.reset();
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir).embedder(embedder)
                .build()) {
            assertThat(index.size()).isEqualTo(3);
            assertThat(index.search("alice", "kite", 1).get(0).message().text()).isEqualTo("the red kite flies");
            assertThat(embedder.texts.get()).as("only the query is embedded").isEqualTo(1);
            assertThat(index.lastIndexedPosition(SessionKey.of("alice", "s"))).contains(new MessagePosition(1, 0));
        }
    }

    @Test
    void anotherEmbeddingModelReembedsEveryMessageOnce() {
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(new HashingEmbedder("model-a", 64)).build()) {
            index.add(session("alice", "s", "the red kite flies", "over the hill"));
            index.add(session("bob", "t", "a blue whale"));
        }
        HashingEmbedder other = new HashingEmbedder("model-b", 16); // another model, another dimension
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir).embedder(other)
                .build()) {
            assertThat(other.texts.get()).isEqualTo(3);
            assertThat(index.size()).isEqualTo(3);
            ConversationHit hit = index.search(new ConversationQuery("alice", "hill", 1, 1, null)).get(0);
            assertThat(hit.message().text()).isEqualTo("over the hill");
            assertThat(hit.before()).extracting(IndexedMessage::text).containsExactly("the red kite flies");
        }
        other.reset();
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir).embedder(other)
                .build()) {
            assertThat(other.texts.get()).isZero();
            assertThat(index.search("bob", "whale", 1)).hasSize(1);
        }
    }

    @Test
    void aDamagedIndexStartsEmptyAndStaysUsable() throws IOException {
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(new HashingEmbedder()).build()) {
            index.add(session("alice", "s", "hello there"));
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> !f.getFileName().toString().equals("write.lock")).toList()) {
                byte[] bytes = Files.readAllBytes(f);
                for (int i = 0; i < bytes.length; i += 7) {
                    bytes[i] ^= 0x5a;
                }
                Files.write(f, bytes);
            }
        }
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(new HashingEmbedder()).build()) {
            assertThat(index.size()).isZero();
            index.add(session("alice", "s", "hello again"));
            assertThat(index.search("alice", "hello", 5)).extracting(h -> h.message().text())
                    .containsExactly("hello again");
        }
    }

    @Test
    void aDirectoryInUseIsRefusedNamingIt() {
        try (LuceneConversationIndex index = LuceneConversationIndex.builder().directory(dir)
                .embedder(new HashingEmbedder()).build()) {
            assertThatThrownBy(() -> LuceneConversationIndex.builder().directory(dir).embedder(new HashingEmbedder())
                    .build()).isInstanceOf(SearchIndexException.class).hasMessageContaining(dir.toString())
                    .hasMessageContaining("in use");
            index.add(session("alice", "s", "still works"));
            assertThat(index.search("alice", "works", 1)).hasSize(1);
        }
    }

    @Test
    void anEmptyIndexOrAnUnknownUserFindsNothing() {
        try (LuceneConversationIndex index = inMemory(new HashingEmbedder())) {
            assertThat(index.search("alice", "anything at all", 10)).isEmpty();
            index.add(session("alice", "s", "something"));
            assertThat(index.search("nobody", "something", 10)).isEmpty();
            assertThat(index.search("alice", "the of and", 10)).as("only stop words: found by meaning alone")
                    .hasSize(1);
        }
    }

    @Test
    void closedIndexRefusesUse() {
        LuceneConversationIndex index = inMemory(new HashingEmbedder());
        index.close();
        index.close(); // idempotent
        assertThatThrownBy(() -> index.search("alice", "x", 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void concurrentAddsAndSearchesLoseNothing() throws Exception {
        try (LuceneConversationIndex index = inMemory(new HashingEmbedder())) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < 50; i++) {
                            index.add(List.of(message("user" + thread, "s", i, 0, Role.USER,
                                    "thread" + thread + " message " + i)));
                            assertThat(index.search("user" + thread, "thread" + thread, 1)).hasSize(1);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            assertThat(index.size()).isEqualTo(200);
            for (int t = 0; t < 4; t++) {
                ConversationHit hit = index.search(new ConversationQuery("user" + t, "message 49", 1, 2, null))
                        .get(0);
                assertThat(hit.message().session().userId()).isEqualTo("user" + t);
                assertThat(index.lastIndexedPosition(SessionKey.of("user" + t, "s")))
                        .contains(new MessagePosition(49, 0));
            }
        }
    }
}
