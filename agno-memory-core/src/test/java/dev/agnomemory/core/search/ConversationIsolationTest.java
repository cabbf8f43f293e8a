package dev.agnomemory.core.search;

import static dev.agnomemory.core.search.LuceneConversationIndexTest.inMemory;
import static dev.agnomemory.core.search.LuceneConversationIndexTest.session;
import static org.assertj.core.api.Assertions.assertThat;

import dev.agnomemory.core.SessionKey;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tries to reach another user's messages through every argument of the index. */
class ConversationIsolationTest {

    private static final String SECRET = "zanzibar";

    /** Users whose ids resemble "bob" or each other's (prefixes, case, spaces, NUL, lone surrogates). */
    private static final List<String> OTHERS = List.of("bob", "Bob", "bob ", " bob", "bo", "bobb", "bob\u0000",
            "b\uD800", "b\uD801", "alice2", "alic");

    @Test
    void aSearchSeesOnlyItsOwnUsersMessagesWhateverTheArguments() {
        try (LuceneConversationIndex index = inMemory(new HashingEmbedder())) {
            index.add(session("alice", "s1", "hello from alice", "nothing secret here", "alice again"));
            for (String other : OTHERS) {
                // Same session ids as alice's, the secret word, and the words alice's queries use.
                index.add(session(other, "s1", SECRET + " of " + other, "hello from " + other, "alice " + SECRET));
                index.add(session(other, "s2", SECRET + " " + SECRET, "alice hello"));
            }

            List<ConversationQuery> queries = new ArrayList<>();
            for (String text : List.of(SECRET, "hello alice", "bob", "s1", "alice " + SECRET + " bob s1 s2",
                    "*", "user:bob", "\u0000")) {
                for (int neighbours : new int[] {0, 1, 50}) {
                    queries.add(new ConversationQuery("alice", text, ConversationQuery.MAX_LIMIT, neighbours, null));
                    queries.add(new ConversationQuery("alice", text, ConversationQuery.MAX_LIMIT, neighbours, "s2"));
                    queries.add(new ConversationQuery("alice", text, ConversationQuery.MAX_LIMIT, neighbours, "s1"));
                }
            }
            for (ConversationQuery q : queries) {
                for (ConversationHit hit : index.search(q)) {
                    List<dev.agnomemory.core.search.IndexedMessage> all = new ArrayList<>(hit.before());
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
                assertThat(hits).hasSize(5).allSatisfy(h -> assertThat(h.message().session().userId())
                        .isEqualTo(other));
            }
            // An excluded session of alice's leaves her other session, never someone else's.
            assertThat(index.search(new ConversationQuery("alice", "hello", 10, 0, "s1"))).isEmpty();
        }
    }

    @Test
    void removalsReachOnlyTheirOwnUsersMessages() {
        try (LuceneConversationIndex index = inMemory(new HashingEmbedder())) {
            // "a" + "bc" and "ab" + "c" would collide if user and session ids were simply concatenated.
            index.add(session("a", "bc", "kept? no, removed"));
            index.add(session("ab", "c", "kept message"));
            for (String other : OTHERS) {
                index.add(session(other, "s1", "message of " + other));
            }

            index.removeSession(SessionKey.of("a", "bc"));
            index.removeUser("bob");

            assertThat(index.search("a", "kept removed message", 10)).isEmpty();
            assertThat(index.search("ab", "kept message", 10)).hasSize(1);
            assertThat(index.search("bob", "message", 10)).isEmpty();
            for (String other : OTHERS.subList(1, OTHERS.size())) {
                assertThat(index.search(other, "message", 10)).as(other).hasSize(1);
            }
            assertThat(index.size()).isEqualTo(1 + OTHERS.size() - 1);
        }
    }
}
