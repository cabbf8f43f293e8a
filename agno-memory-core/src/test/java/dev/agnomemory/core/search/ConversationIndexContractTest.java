package dev.agnomemory.core.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.MessagePosition;
import dev.agnomemory.core.Role;
import dev.agnomemory.core.SessionKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rules of {@link ConversationIndex} that every implementation keeps, tried on each: what a hit carries,
 * neighbours, context, replacement, exact texts, restarts, model changes, records, removal, isolation and
 * concurrency. A subclass says how to open, reopen and count an index, and creates the stored sessions an index
 * needs.
 */
abstract class ConversationIndexContractTest {

    static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

    private final List<ConversationIndex> opened = new ArrayList<>();

    /** @return a new, empty index of this kind, at a location {@link #reopen} can open again */
    protected abstract ConversationIndex open(TextEmbedder embedder);

    /** Closes the index and opens its location again, as after a restart. */
    protected ConversationIndex reopen(ConversationIndex index, TextEmbedder embedder) {
        index.close();
        return open(embedder);
    }

    /** @return how many messages the index holds */
    protected abstract long size(ConversationIndex index);

    /** Makes the sessions exist in the index's storage, for an index that only holds stored sessions. */
    protected void sessionsExist(Set<SessionKey> keys) {
    }

    /** Opens an index that is closed after the test. */
    protected final ConversationIndex index(TextEmbedder embedder) {
        ConversationIndex index = open(embedder);
        opened.add(index);
        return index;
    }

    protected final ConversationIndex restart(ConversationIndex index, TextEmbedder embedder) {
        ConversationIndex again = reopen(index, embedder);
        opened.add(again);
        return again;
    }

    @AfterEach
    void closeIndexes() {
        opened.forEach(ConversationIndex::close);
    }

    /** Adds messages after making their sessions exist. */
    protected final void add(ConversationIndex index, List<IndexedMessage> messages) {
        Set<SessionKey> keys = new LinkedHashSet<>();
        messages.forEach(m -> keys.add(m.session()));
        sessionsExist(keys);
        index.add(messages);
    }

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

    /**
     * Every vector the same: the meaning ranking adds the same 1.0 to every message, so only words rank; as long as
     * the user has no more messages than the shortest meaning ranking lists (50, Lucene's).
     */
    static TextEmbedder noMeaning() {
        return new HashingEmbedder("constant", 8) {
            @Override
            public List<float[]> embedAll(List<String> batch) {
                return batch.stream().map(t -> new float[] {1, 0, 0, 0, 0, 0, 0, 0}).toList();
            }
        };
    }

    /** The texts of the messages that matched by words, not by the (constant) meaning alone. */
    static List<String> matchedByWords(ConversationIndex index, String query) {
        return index.search(new ConversationQuery("alice", query, 50, 0, null)).stream()
                .filter(h -> h.score() > 1.0 + 1e-9).map(h -> h.message().text()).sorted().toList();
    }

    @Test
    void findsMessagesByWordsWithEverythingAHitCarries() {
        ConversationIndex index = index(new HashingEmbedder());
        add(index, session("alice", "trip", "We are planning a trip to Lisbon in June", "Lisbon is lovely then",
                "Book the hotel near the river", "Done, the hotel is booked"));
        add(index, session("alice", "work", "My manager wants the quarterly report", "When is it due?"));

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
        assertThat(hits).extracting(ConversationHit::score).isSortedAccordingTo((a, b) -> Double.compare(b, a));
    }

    @Test
    void neighboursFollowPositionsAcrossRuns() {
        ConversationIndex index = index(new HashingEmbedder());
        add(index, session("alice", "s", "one", "two", "three", "four giraffe", "five", "six", "seven"));

        ConversationHit hit = index.search(new ConversationQuery("alice", "giraffe", 1, 2, null)).get(0);

        assertThat(hit.message().position()).isEqualTo(new MessagePosition(1, 1));
        assertThat(hit.before()).extracting(IndexedMessage::text).containsExactly("two", "three");
        assertThat(hit.after()).extracting(IndexedMessage::text).containsExactly("five", "six");
        assertThat(index.search(new ConversationQuery("alice", "giraffe", 1, 0, null)).get(0).after()).isEmpty();
    }

    @Test
    void aReplyIsFoundByTheMessagesBeforeIt() {
        ConversationIndex index = index(noMeaning());
        for (int i = 0; i < 20; i++) { // other sessions, so the words are rare (at most 50 messages: see noMeaning)
            add(index, session("alice", "other-" + i, "How is the weather " + i, "Sunny and warm " + i));
        }
        // The question and its answer arrive in separate calls: the context is read back from the index.
        add(index, List.of(message("alice", "museum", 0, 0, Role.USER, "Did you visit the Louvre museum?")));
        add(index, List.of(message("alice", "museum", 0, 1, Role.ASSISTANT, "Yes, it was amazing!")));

        List<ConversationHit> hits = index.search(new ConversationQuery("alice", "Louvre museum", 5, 0, null));

        assertThat(hits).extracting(h -> h.message().text()).startsWith("Did you visit the Louvre museum?",
                "Yes, it was amazing!");
    }

    @Test
    void theContextIsTheTwoMessagesBeforeAfterRestartsAndOutOfOrderAdds() {
        ConversationIndex first = index(noMeaning());
        add(first, session("alice", "s", "m0 alpha", "m1", "m2"));
        ConversationIndex index = restart(first, noMeaning());
        add(index, session("alice", "s", "m0 alpha", "m1", "m2", "m3 beta").subList(3, 4)); // read from the index
        add(index, List.of(message("alice", "s", 2, 0, Role.USER, "m4 gamma")));
        add(index, session("alice", "s", "m0 alpha", "m1").subList(1, 2)); // a replay, out of order
        add(index, List.of(message("alice", "s", 2, 1, Role.ASSISTANT, "m5")));

        assertThat(matchedByWords(index, "alpha")).containsExactly("m0 alpha", "m1", "m2");
        assertThat(matchedByWords(index, "beta")).containsExactly("m3 beta", "m4 gamma", "m5");
        assertThat(matchedByWords(index, "gamma")).containsExactly("m4 gamma", "m5");
    }

    @Test
    void addingAMessageAgainReplacesItAndBlankTextsAreSkipped() {
        ConversationIndex index = index(new HashingEmbedder());
        add(index, session("alice", "s", "first version", "reply"));
        add(index, List.of(message("alice", "s", 0, 0, Role.USER, "second version"),
                message("alice", "s", 1, 0, Role.ASSISTANT, "   ")));

        assertThat(size(index)).isEqualTo(2);
        assertThat(index.search("alice", "version", 5)).extracting(h -> h.message().text())
                .contains("second version").doesNotContain("first version");
        assertThat(index.lastIndexedPosition(SessionKey.of("alice", "s"))).contains(new MessagePosition(0, 1));
        assertThat(index.lastIndexedPosition(SessionKey.of("alice", "none"))).isEmpty();
    }

    @Test
    void exoticAndHugeTextsRoundTripExactly() {
        String exotic = "emoji \uD83D\uDE00 nul \u0000 lone \uD800 surrogate \uDC00 rtl \u05E9\u05DC\u05D5\u05DD "
                + "zalgo Z\u0351\u0352\u0353 escape \uFDD0 char";
        String huge = "needle " + "lorem ipsum dolor sit amet ".repeat(40_000);
        ConversationIndex first = index(new HashingEmbedder());
        add(first, List.of(message("u\uD800", "s\u0000", 0, 0, Role.USER, exotic),
                message("u\uD800", "s\u0000", 1, 0, Role.USER, huge)));
        ConversationIndex index = restart(first, new HashingEmbedder());

        assertThat(index.search("u\uD800", "emoji surrogate", 1).get(0).message().text()).isEqualTo(exotic);
        ConversationHit needle = index.search("u\uD800", "needle", 1).get(0);
        assertThat(needle.message().text()).isEqualTo(huge);
        assertThat(needle.message().session()).isEqualTo(SessionKey.of("u\uD800", "s\u0000"));
    }

    @Test
    void badArgumentsAreRefusedNamingTheParameter() {
        ConversationIndex index = index(new HashingEmbedder());
        assertThatThrownBy(() -> index.search("alice", " ", 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("text");
        assertThatThrownBy(() -> index.search("alice", "x", 0)).hasMessageContaining("limit");
        assertThatThrownBy(() -> index.search("", "x", 5)).hasMessageContaining("userId");
        assertThatThrownBy(() -> index.search(new ConversationQuery("a", "x", 5, 51, null)))
                .hasMessageContaining("neighbours");
        assertThatThrownBy(() -> index.add(null)).hasMessageContaining("messages");
        assertThatThrownBy(() -> index.removeUser(" ")).hasMessageContaining("userId");
        assertThatThrownBy(() -> index.recordSession(null)).hasMessageContaining("session");
    }

    @Test
    void aMisbehavingEmbedderIsReportedAndNothingIsIndexed() {
        TextEmbedder wrongDimensions = new HashingEmbedder("liar", 8) {
            @Override
            public List<float[]> embedAll(List<String> batch) {
                return batch.stream().map(t -> new float[3]).toList();
            }
        };
        ConversationIndex index = index(wrongDimensions);
        assertThatThrownBy(() -> add(index, session("alice", "s", "hello")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("liar")
                .hasMessageContaining("3 dimensions");
        assertThat(size(index)).isZero();
    }

    @Test
    void vectorsSurviveARestartWithoutBeingRecomputed() {
        HashingEmbedder embedder = new HashingEmbedder();
        ConversationIndex first = index(embedder);
        add(first, session("alice", "s", "the red kite flies", "over the hill", "then lands"));
        assertThat(embedder.texts.get()).isEqualTo(3);
        embedder.reset();

        ConversationIndex index = restart(first, embedder);

        assertThat(size(index)).isEqualTo(3);
        assertThat(index.search("alice", "kite", 1).get(0).message().text()).isEqualTo("the red kite flies");
        assertThat(embedder.texts.get()).as("only the query is embedded").isEqualTo(1);
        assertThat(index.lastIndexedPosition(SessionKey.of("alice", "s"))).contains(new MessagePosition(1, 0));
    }

    @Test
    void anotherEmbeddingModelReembedsEveryMessageOnce() {
        ConversationIndex first = index(new HashingEmbedder("model-a", 64));
        add(first, session("alice", "s", "the red kite flies", "over the hill"));
        add(first, session("bob", "t", "a blue whale"));
        HashingEmbedder other = new HashingEmbedder("model-b", 16); // another model, another dimension

        ConversationIndex index = restart(first, other);

        assertThat(other.texts.get()).isEqualTo(3);
        assertThat(size(index)).isEqualTo(3);
        ConversationHit hit = index.search(new ConversationQuery("alice", "hill", 1, 1, null)).get(0);
        assertThat(hit.message().text()).isEqualTo("over the hill");
        assertThat(hit.before()).extracting(IndexedMessage::text).containsExactly("the red kite flies");
        other.reset();
        ConversationIndex again = restart(index, other);
        assertThat(other.texts.get()).isZero();
        assertThat(again.search("bob", "whale", 1)).hasSize(1);
    }

    @Test
    void anEmptyIndexOrAnUnknownUserFindsNothing() {
        ConversationIndex index = index(new HashingEmbedder());
        assertThat(index.search("alice", "anything at all", 10)).isEmpty();
        add(index, session("alice", "s", "something"));
        assertThat(index.search("nobody", "something", 10)).isEmpty();
        assertThat(index.search("alice", "the of and", 10)).as("only stop words: found by meaning alone")
                .hasSize(1);
    }

    @Test
    void closedIndexRefusesUse() {
        ConversationIndex index = open(new HashingEmbedder());
        index.close();
        index.close(); // idempotent
        assertThatThrownBy(() -> index.search("alice", "x", 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void recordsKeepTheHighestVersionOfEachSessionAndSurviveARestart() {
        ConversationIndex index = index(new HashingEmbedder());
        SessionKey s1 = SessionKey.of("alice", "s1");
        SessionKey s2 = SessionKey.of("alice", "s2");
        SessionKey bob = SessionKey.of("bob", "s1");
        sessionsExist(Set.of(s1, s2, bob));
        Instant created = T0.plusNanos(123_456_789);
        IndexedSession r5 = new IndexedSession(s1, 5, created, Optional.of(new MessagePosition(2, 1)));
        index.recordSession(r5);
        index.recordSession(new IndexedSession(s1, 4, created, Optional.of(new MessagePosition(1, 0))));
        index.recordSession(new IndexedSession(s2, 7, created, Optional.empty()));
        index.recordSession(new IndexedSession(bob, 1, created, Optional.empty()));

        assertThat(index.indexedSession(s1)).as("a lower version does not move the record back").contains(r5);
        IndexedSession recreated = new IndexedSession(s1, 3, created.plusSeconds(1), Optional.empty());
        index.recordSession(recreated);
        assertThat(index.indexedSession(s1)).as("another incarnation replaces it").contains(recreated);

        ConversationIndex again = restart(index, new HashingEmbedder());
        assertThat(again.indexedSessions("alice")).containsExactlyInAnyOrder(recreated,
                new IndexedSession(s2, 7, created, Optional.empty()));
        assertThat(again.indexedSessions()).hasSize(3);
        assertThat(again.indexedSession(SessionKey.of("alice", "none"))).isEmpty();

        again.removeSession(s2);
        again.removeUser("bob");
        assertThat(again.indexedSessions()).containsExactly(recreated);
    }

    @Test
    void removingASessionOrUserRemovesItsMessagesAndNoOneElses() {
        ConversationIndex index = index(new HashingEmbedder());
        // "a" + "bc" and "ab" + "c" would collide if user and session ids were simply concatenated.
        add(index, session("a", "bc", "kept? no, removed"));
        add(index, session("ab", "c", "kept message"));
        add(index, session("bob", "s1", "message of bob"));
        add(index, session("bob ", "s1", "message of bob with a space"));

        index.removeSession(SessionKey.of("a", "bc"));
        index.removeUser("bob");

        assertThat(index.search("a", "kept removed message", 10)).isEmpty();
        assertThat(index.search("ab", "kept message", 10)).hasSize(1);
        assertThat(index.search("bob", "message", 10)).isEmpty();
        assertThat(index.search("bob ", "message", 10)).hasSize(1);
        assertThat(size(index)).isEqualTo(2);
    }

    @Test
    void aSessionRemovedAndIndexedAgainFromItsStartKeepsNoContextOfItsRemovedMessages() {
        ConversationIndex index = index(noMeaning());
        add(index, session("alice", "s", "m0 alpha", "m1"));
        index.removeSession(SessionKey.of("alice", "s"));
        add(index, session("alice", "s", "n0 beta", "n1", "n2"));
        add(index, List.of(message("alice", "s", 1, 1, Role.ASSISTANT, "n3")));

        assertThat(matchedByWords(index, "alpha")).isEmpty();
        assertThat(matchedByWords(index, "beta")).containsExactly("n0 beta", "n1", "n2");
        assertThat(size(index)).isEqualTo(4);
    }

    @Test
    void aSearchRunsItsCatchUpFirstAndSeesWhatItAdded() {
        ConversationIndex index = index(noMeaning());
        add(index, session("alice", "s", "an old message"));
        List<ConversationHit> hits = index.search(new ConversationQuery("alice", "fresh", 5, 0, null),
                () -> add(index, List.of(message("alice", "s", 0, 1, Role.ASSISTANT, "a fresh message"))));
        assertThat(hits).extracting(h -> h.message().text()).startsWith("a fresh message");

        assertThatThrownBy(() -> index.search(new ConversationQuery("alice", "fresh", 5, 0, null), () -> {
            throw new IllegalStateException("storage unreadable");
        })).isInstanceOf(IllegalStateException.class).hasMessage("storage unreadable");
    }

    @Test
    void anEmbedderFailingOnTheQueryFailsTheSearchWithItsOwnException() {
        TextEmbedder failsOnQueries = new HashingEmbedder("fails-on-queries", 8) {
            @Override
            public List<float[]> embedAll(List<String> batch) {
                if (batch.contains("the query")) {
                    throw new IllegalStateException("model unavailable");
                }
                return super.embedAll(batch);
            }
        };
        ConversationIndex index = index(failsOnQueries);
        add(index, session("alice", "s", "hello"));
        assertThatThrownBy(() -> index.search(new ConversationQuery("alice", "the query", 5, 0, null), () -> { }))
                .isInstanceOf(IllegalStateException.class).hasMessage("model unavailable");
        assertThat(index.search("alice", "hello", 5)).hasSize(1);
    }

    private static final String SECRET = "zanzibar";

    /** Users whose ids resemble "bob" or each other's (prefixes, case, spaces, NUL, lone surrogates). */
    private static final List<String> OTHERS = List.of("bob", "Bob", "bob ", " bob", "bo", "bobb", "bob\u0000",
            "b\uD800", "b\uD801", "alice2", "alic");

    @Test
    void aSearchSeesOnlyItsOwnUsersMessagesWhateverTheArguments() {
        ConversationIndex index = index(new HashingEmbedder());
        add(index, session("alice", "s1", "hello from alice", "nothing secret here", "alice again"));
        for (String other : OTHERS) {
            // Same session ids as alice's, the secret word, and the words alice's queries use.
            add(index, session(other, "s1", SECRET + " of " + other, "hello from " + other, "alice " + SECRET));
            add(index, session(other, "s2", SECRET + " " + SECRET, "alice hello"));
        }

        List<ConversationQuery> queries = new ArrayList<>();
        for (String text : List.of(SECRET, "hello alice", "bob", "s1", "alice " + SECRET + " bob s1 s2", "*",
                "user:bob", "\u0000", "' OR 1=1 --", "b\uD800")) {
            for (int neighbours : new int[] {0, 1, 50}) {
                queries.add(new ConversationQuery("alice", text, ConversationQuery.MAX_LIMIT, neighbours, null));
                queries.add(new ConversationQuery("alice", text, ConversationQuery.MAX_LIMIT, neighbours, "s2"));
                queries.add(new ConversationQuery("alice", text, ConversationQuery.MAX_LIMIT, neighbours, "s1"));
            }
        }
        for (ConversationQuery q : queries) {
            for (ConversationHit hit : index.search(q)) {
                List<IndexedMessage> all = new ArrayList<>(hit.before());
                all.add(hit.message());
                all.addAll(hit.after());
                assertThat(all).as(q.toString()).allSatisfy(m -> {
                    assertThat(m.session().userId()).isEqualTo("alice");
                    assertThat(m.text()).doesNotContain(SECRET);
                });
                assertThat(hit.message().sessionId()).isNotEqualTo(q.excludedSessionId());
            }
        }
        // Each look-alike user sees exactly their own five messages.
        for (String other : OTHERS) {
            List<ConversationHit> hits = index.search(new ConversationQuery(other, SECRET + " hello alice",
                    ConversationQuery.MAX_LIMIT, 5, null));
            assertThat(hits).as(other).hasSize(5).allSatisfy(h -> assertThat(h.message().session().userId())
                    .isEqualTo(other));
        }
        // An excluded session of alice's leaves her other session, never someone else's.
        assertThat(index.search(new ConversationQuery("alice", "hello", 10, 0, "s1"))).isEmpty();
        // Records are per user too.
        assertThat(index.indexedSessions("alice")).allSatisfy(r -> assertThat(r.key().userId()).isEqualTo("alice"));
    }

    @Test
    void concurrentAddsAndSearchesLoseNothing() throws Exception {
        ConversationIndex index = index(new HashingEmbedder());
        Set<SessionKey> keys = new LinkedHashSet<>();
        for (int t = 0; t < 4; t++) {
            keys.add(SessionKey.of("user" + t, "s"));
        }
        sessionsExist(keys);
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
        assertThat(size(index)).isEqualTo(200);
        for (int t = 0; t < 4; t++) {
            ConversationHit hit = index.search(new ConversationQuery("user" + t, "message 49", 1, 2, null)).get(0);
            assertThat(hit.message().session().userId()).isEqualTo("user" + t);
            assertThat(index.lastIndexedPosition(SessionKey.of("user" + t, "s"))).contains(new MessagePosition(49, 0));
        }
    }
}
