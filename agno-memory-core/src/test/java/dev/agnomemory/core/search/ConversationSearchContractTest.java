package dev.agnomemory.core.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agnomemory.core.Message;
import dev.agnomemory.core.SessionKey;
import dev.agnomemory.core.ToolCall;
import dev.agnomemory.core.storage.MemoryStorage;
import dev.agnomemory.core.testing.LogLines;
import dev.agnomemory.core.testing.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ConversationSearch} over a real storage and index, with its background work run by a
 * {@link ManualScheduler} (so the tests decide when it happens): appends, restarts, deletes, sweeps, purges, overflow,
 * failures and isolation. A subclass gives the storage and the index, reopened at the same place on a restart.
 */
abstract class ConversationSearchContractTest {

    static final Duration SWEEP = Duration.ofMinutes(5);
    static final Duration PURGE = Duration.ofMinutes(1);

    protected final HashingEmbedder embedder = new HashingEmbedder();
    protected final ManualScheduler scheduler = new ManualScheduler();
    protected MemoryStorage storage;
    protected PurgeCounting index;
    protected ConversationSearch search;

    /** @return the storage, at the same place every time within a test */
    protected abstract MemoryStorage openStorage();

    /** @return the index over {@link #storage}, at the same place every time within a test */
    protected abstract ConversationIndex openIndex(TextEmbedder embedder);

    /** @return whether the text is somewhere in the index's files (or tables) */
    protected abstract boolean indexFilesContain(String text);

    /** @return whether deleting a stored session deletes its index entries by itself (so no removal is seen) */
    protected boolean storageDeletesReachTheIndex() {
        return false;
    }

    @BeforeEach
    void start() {
        storage = openStorage();
        open(embedder);
    }

    @AfterEach
    void stop() {
        search.close();
        index.close();
        storage.close();
        assertThat(scheduler.failures()).isEmpty();
    }

    private void open(TextEmbedder embedder) {
        index = new PurgeCounting(openIndex(embedder));
        search = ConversationSearch.builder().storage(storage).index(index).scheduler(scheduler)
                .sweepInterval(SWEEP).purgeDelay(PURGE).build();
    }

    /** Closes search, index and storage, and opens them again (the pending background work is lost). */
    protected void restart() {
        search.close();
        index.close();
        storage.close();
        storage = openStorage();
        open(embedder);
    }

    protected void run(SessionKey key, String runId, Message... messages) {
        storage.getOrCreateSession(key, "agent");
        storage.appendMessages(key, runId, List.of(messages));
        storage.completeRun(key, runId);
    }

    protected List<String> texts(String userId, String query) {
        return search.search(new ConversationQuery(userId, query, 50, 0, null)).stream()
                .map(h -> h.message().text()).toList();
    }

    @Test
    void appendsAreIndexedInTheBackgroundAndASearchCatchesUpWhatWasNotYet() {
        scheduler.runReady(); // the first sweep: nothing stored yet
        SessionKey key = SessionKey.of("alice", "s1");
        run(key, "r1", Message.user("We hiked up Mount Olympus"), Message.assistant("What a climb!"));

        search.sessionChanged(key);
        assertThat(index.indexedSession(key)).as("sessionChanged only enqueues").isEmpty();
        assertThat(embedder.texts.get()).isZero();

        scheduler.runReady();
        assertThat(embedder.texts.get()).isEqualTo(2);
        assertThat(index.indexedSession(key)).hasValueSatisfying(r ->
                assertThat(r.version()).isEqualTo(storage.sessionVersion(key).getAsLong()));
        embedder.reset();
        assertThat(texts("alice", "Olympus hike")).first().isEqualTo("We hiked up Mount Olympus");
        assertThat(embedder.texts.get()).as("the search embeds only its query").isEqualTo(1);

        // Written without telling the search: the search itself catches up, reading only what is new.
        run(key, "r2", Message.user("Next we sail to Crete"));
        embedder.reset();
        assertThat(texts("alice", "sail Crete")).first().isEqualTo("Next we sail to Crete");
        assertThat(embedder.texts.get()).isEqualTo(2); // the new message and the query
    }

    @Test
    void onlyUserAndAssistantTextIsSearched() {
        SessionKey key = SessionKey.of("alice", "s1");
        run(key, "r1", Message.system("SYSTEMWORD instructions"), Message.user("find the USERWORD"),
                Message.assistant("", List.of(new ToolCall("c1", "lookup", "{\"q\":\"TOOLCALLWORD\"}"))),
                Message.toolResult("c1", "lookup", "TOOLRESULTWORD", false), Message.assistant("ASSISTANTWORD"));

        assertThat(texts("alice", "USERWORD ASSISTANTWORD SYSTEMWORD TOOLCALLWORD TOOLRESULTWORD"))
                .containsExactlyInAnyOrder("find the USERWORD", "ASSISTANTWORD");
        assertThat(index.indexedSession(key).orElseThrow().through())
                .as("the last message read, searched or not").hasValueSatisfying(p -> assertThat(p.index())
                        .isEqualTo(4));
    }

    @Test
    void aRestartCatchesUpFromStoredVersionsWithoutRecomputingVectors() {
        SessionKey key = SessionKey.of("alice", "s1");
        for (int i = 0; i < 5; i++) {
            run(key, "r" + i, Message.user("question " + i), Message.assistant("answer " + i));
        }
        search.sessionChanged(key);
        scheduler.runReady();
        assertThat(embedder.texts.get()).isEqualTo(10);

        search.close(); // appended while no search runs: written by another process, or before a crash
        run(key, "r5", Message.user("question 5 about zebras"));
        run(SessionKey.of("alice", "s2"), "r0", Message.user("a new session about zebras"));
        restart();
        embedder.reset();
        scheduler.runReady(); // the first sweep after the start

        assertThat(embedder.texts.get()).as("only what the index lacked").isEqualTo(2);
        embedder.reset();
        assertThat(texts("alice", "zebras").subList(0, 2)).containsExactlyInAnyOrder("question 5 about zebras",
                "a new session about zebras");
        assertThat(embedder.texts.get()).isEqualTo(1);
    }

    @Test
    void aDeletedSessionLeavesTheIndexAtOnceAndItsFilesWithinThePurgeDelay() {
        SessionKey secret = SessionKey.of("alice", "secret");
        run(secret, "r1", Message.user("my password hint is quokkazeppelin"));
        run(SessionKey.of("alice", "kept"), "r1", Message.user("a kept message"));
        search.catchUp();
        assertThat(indexFilesContain("quokkazeppelin")).as("the test looks where the text is").isTrue();

        storage.deleteSession(secret);
        search.sessionChanged(secret);
        scheduler.runReady();

        assertThat(texts("alice", "quokkazeppelin password")).containsExactly("a kept message");
        assertThat(index.indexedSession(secret)).isEmpty();
        assertThat(index.purges.get()).as("not before the delay").isZero();
        scheduler.advance(PURGE);
        assertThat(index.purges.get()).isEqualTo(1);
        assertThat(indexFilesContain("quokkazeppelin")).isFalse();
    }

    @Test
    void aSessionDeletedAndCreatedAgainShowsOnlyItsNewMessages() {
        SessionKey key = SessionKey.of("alice", "s1");
        run(key, "r1", Message.user("old incarnation walrus"), Message.assistant("old reply walrus"));
        search.catchUp();

        storage.deleteSession(key); // and created again, without telling the search
        run(key, "r1", Message.user("new incarnation walrus"));

        assertThat(texts("alice", "walrus incarnation")).containsExactly("new incarnation walrus");
    }

    @Test
    void sweepsIndexWhatWasWrittenElsewhereAndRemoveDeletedSessionsAndUsers() {
        run(SessionKey.of("alice", "s1"), "r1", Message.user("alice talks about herons"));
        run(SessionKey.of("bob", "s1"), "r1", Message.user("bob talks about herons"));
        run(SessionKey.of("bob", "s2"), "r1", Message.user("bob again about herons"));
        scheduler.runReady(); // the first sweep
        assertThat(index.indexedSessions()).hasSize(3);

        // Elsewhere: bob is deleted, alice writes a new session; nobody tells the search.
        storage.deleteSession(SessionKey.of("bob", "s1"));
        storage.deleteSession(SessionKey.of("bob", "s2"));
        run(SessionKey.of("alice", "s2"), "r1", Message.user("alice on cranes"));
        scheduler.advance(SWEEP);

        assertThat(index.indexedSessions()).extracting(r -> r.key().sessionId()).containsExactlyInAnyOrder("s1",
                "s2");
        assertThat(index.indexedSessions("bob")).isEmpty();
        assertThat(index.indexedSession(SessionKey.of("alice", "s2"))).isPresent();
        scheduler.advance(PURGE);
        assertThat(index.purges.get()).isEqualTo(storageDeletesReachTheIndex() ? 0 : 1);
        assertThat(indexFilesContain("bob again")).isFalse();
    }

    @Test
    void userChangedCatchesUpAllOfTheUsersSessions() {
        run(SessionKey.of("carol", "a"), "r1", Message.user("carol on owls"));
        run(SessionKey.of("carol", "b"), "r1", Message.user("carol on larks"));
        search.userChanged("carol");
        scheduler.runReady();
        assertThat(index.indexedSessions("carol")).hasSize(2);

        storage.deleteSession(SessionKey.of("carol", "a"));
        search.userChanged("carol");
        scheduler.runReady();
        assertThat(index.indexedSessions("carol")).extracting(r -> r.key().sessionId()).containsExactly("b");
    }

    @Test
    void tooManyWaitingSessionsFallBackToASweepAndLoseNothing() {
        search.close();
        index.close();
        index = new PurgeCounting(openIndex(embedder));
        search = ConversationSearch.builder().storage(storage).index(index).scheduler(scheduler)
                .maxPendingSessions(2).build();
        scheduler.runReady();
        List<SessionKey> keys = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            SessionKey key = SessionKey.of("dave", "s" + i);
            run(key, "r1", Message.user("dave message " + i));
            keys.add(key);
        }
        String log = LogLines.during(() -> {
            keys.forEach(search::sessionChanged);
            scheduler.runReady();
        });
        assertThat(log).contains("More than 2 sessions waited");
        assertThat(index.indexedSessions("dave")).hasSize(6);
    }

    @Test
    void aSweepCatchesUpEveryOtherSessionWhenOneFailsAndThrowsItsFailure() {
        AtomicInteger failuresLeft = new AtomicInteger(1);
        HashingEmbedder poisoned = new HashingEmbedder() {
            @Override
            public List<float[]> embedAll(List<String> batch) {
                if (batch.stream().anyMatch(t -> t.contains("poison")) && failuresLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("model unavailable");
                }
                return super.embedAll(batch);
            }
        };
        search.close();
        index.close();
        open(poisoned);
        scheduler.runReady();
        for (int i = 0; i < 12; i++) {
            SessionKey key = SessionKey.of(i % 2 == 0 ? "frank" : "grace", "s" + i);
            run(key, "r1", Message.user("question " + i + (i == 5 ? " poison" : "")), Message.assistant("answer " + i));
            run(key, "r2", Message.user("follow-up " + i), Message.assistant("reply " + i));
        }

        assertThatThrownBy(search::catchUp).isInstanceOf(IllegalStateException.class)
                .hasMessage("model unavailable");
        assertThat(index.indexedSessions()).hasSize(11)
                .noneMatch(r -> r.key().sessionId().equals("s5"));
        assertThat(index.search(new ConversationQuery("grace", "reply", 50, 0, null))) // the index alone
                .hasSize(20).noneMatch(h -> h.message().text().endsWith(" 5"));
        assertThat(texts("frank", "reply")).hasSize(24).contains("reply 0", "reply 10");

        search.catchUp();
        assertThat(index.indexedSessions()).hasSize(12);
        assertThat(index.search(new ConversationQuery("grace", "reply", 50, 0, null))).hasSize(24);
        assertThat(texts("grace", "poison")).startsWith("question 5 poison");
    }

    @Test
    void backgroundFailuresAreLoggedAndTheNextChangeRetries() {
        AtomicInteger failuresLeft = new AtomicInteger(1);
        HashingEmbedder flaky = new HashingEmbedder() {
            @Override
            public List<float[]> embedAll(List<String> batch) {
                if (failuresLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("model unavailable");
                }
                return super.embedAll(batch);
            }
        };
        search.close();
        index.close();
        open(flaky);
        scheduler.runReady();
        SessionKey key = SessionKey.of("erin", "s1");
        run(key, "r1", Message.user("erin's first words"));

        String log = LogLines.during(() -> {
            search.sessionChanged(key);
            scheduler.runReady();
        });
        assertThat(log).contains("session s1 of user erin").contains("model unavailable");
        assertThat(index.indexedSession(key)).isEmpty();

        search.sessionChanged(key);
        scheduler.runReady();
        assertThat(index.indexedSession(key)).isPresent();
    }

    @Test
    void aSearchSeesOnlyItsOwnUsersMessagesThroughEveryArgument() {
        String secret = "zanzibar";
        List<String> others = List.of("bob", "Bob", "alice ", " alice", "alic", "alice2", "alice\u0000", "a\uD800");
        run(SessionKey.of("alice", "s1"), "r1", Message.user("hello from alice"), Message.assistant("hi alice"));
        run(SessionKey.of("alice", "s2"), "r1", Message.user("alice in her second session"));
        for (String other : others) {
            run(SessionKey.of(other, "s1"), "r1", Message.user(secret + " of " + other),
                    Message.assistant("hello alice " + secret));
            run(SessionKey.of(other, "s2"), "r1", Message.user("alice " + secret + " second session"));
        }
        for (String text : List.of(secret, "hello alice", "bob s1", "alice " + secret + " second session", "*",
                "' OR 1=1 --", "\u0000")) {
            for (String excluded : new String[] {null, "s1", "s2", "s3"}) {
                for (int neighbours : new int[] {0, 1, ConversationQuery.MAX_NEIGHBOURS}) {
                    ConversationQuery q = new ConversationQuery("alice", text, ConversationQuery.MAX_LIMIT, neighbours,
                            excluded);
                    for (ConversationHit hit : search.search(q)) {
                        List<IndexedMessage> all = new ArrayList<>(hit.before());
                        all.add(hit.message());
                        all.addAll(hit.after());
                        assertThat(all).as(q.toString()).allSatisfy(m -> {
                            assertThat(m.session().userId()).isEqualTo("alice");
                            assertThat(m.text()).doesNotContain(secret);
                        });
                        assertThat(hit.message().sessionId()).isNotEqualTo(excluded);
                    }
                }
            }
        }
        for (String other : others) {
            assertThat(search.search(new ConversationQuery(other, "alice " + secret, 100, 5, null)))
                    .as(other).hasSize(3)
                    .allSatisfy(h -> assertThat(h.message().session().userId()).isEqualTo(other));
        }
        assertThat(search.search(new ConversationQuery("alice", "alice", 100, 0, "s1")))
                .extracting(h -> h.message().text()).containsExactly("alice in her second session");
    }

    @Test
    void closeStopsTheBackgroundWorkPurgesWhatIsDueAndRefusesUse() {
        SessionKey key = SessionKey.of("alice", "s1");
        run(key, "r1", Message.user("to be deleted"));
        search.catchUp();
        storage.deleteSession(key);
        search.sessionChanged(key);
        scheduler.runReady();
        assertThat(index.purges.get()).isZero();

        search.close();

        assertThat(index.purges.get()).isEqualTo(1);
        assertThat(scheduler.pending()).as("the sweeps and purges of this search are cancelled").isZero();
        assertThatThrownBy(() -> search.search("alice", "x", 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> search.sessionChanged(key)).isInstanceOf(IllegalStateException.class);
        search.close(); // twice: nothing
    }

    @Test
    void badArgumentsAreRefusedNamingTheParameter() {
        assertThatThrownBy(() -> search.sessionChanged(null)).hasMessageContaining("session");
        assertThatThrownBy(() -> search.userChanged(" ")).hasMessageContaining("userId");
        assertThatThrownBy(() -> search.search(null)).hasMessageContaining("query");
        assertThatThrownBy(() -> ConversationSearch.builder().index(index).build()).hasMessageContaining("storage");
        assertThatThrownBy(() -> ConversationSearch.builder().storage(storage).build()).hasMessageContaining("index");
        assertThatThrownBy(() -> ConversationSearch.builder().storage(storage).index(index)
                .sweepInterval(Duration.ZERO).build()).hasMessageContaining("sweepInterval");
        assertThatThrownBy(() -> ConversationSearch.builder().storage(storage).index(index)
                .purgeDelay(Duration.ofSeconds(-1)).build()).hasMessageContaining("purgeDelay");
        assertThatThrownBy(() -> ConversationSearch.builder().storage(storage).index(index)
                .maxPendingSessions(0).build()).hasMessageContaining("maxPendingSessions");
    }

    /** The index under test, counting purges. */
    static final class PurgeCounting implements ConversationIndex {
        final ConversationIndex delegate;
        final AtomicInteger purges = new AtomicInteger();

        PurgeCounting(ConversationIndex delegate) {
            this.delegate = delegate;
        }

        @Override
        public void add(List<IndexedMessage> messages) {
            delegate.add(messages);
        }

        @Override
        public void removeSession(SessionKey session) {
            delegate.removeSession(session);
        }

        @Override
        public void removeUser(String userId) {
            delegate.removeUser(userId);
        }

        @Override
        public List<ConversationHit> search(ConversationQuery query) {
            return delegate.search(query);
        }

        @Override
        public java.util.Optional<dev.agnomemory.core.MessagePosition> lastIndexedPosition(SessionKey session) {
            return delegate.lastIndexedPosition(session);
        }

        @Override
        public void recordSession(IndexedSession session) {
            delegate.recordSession(session);
        }

        @Override
        public java.util.Optional<IndexedSession> indexedSession(SessionKey session) {
            return delegate.indexedSession(session);
        }

        @Override
        public List<IndexedSession> indexedSessions(String userId) {
            return delegate.indexedSessions(userId);
        }

        @Override
        public List<IndexedSession> indexedSessions() {
            return delegate.indexedSessions();
        }

        @Override
        public void commit() {
            delegate.commit();
        }

        @Override
        public void purgeDeleted() {
            purges.incrementAndGet();
            delegate.purgeDeleted();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
